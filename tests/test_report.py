"""The report over a seeded database: the Markdown figures match what was seeded, the PNG charts are real."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
import warnings

import pytest
from seeding import DAY, FAQ, SECRET_PHONE, TZ, local, seed_day

from frontdesk.charts import cjk_font
from frontdesk.cli import main
from frontdesk.clock import ManualClock
from frontdesk.faq import parse_faq
from frontdesk.progress import Progress
from frontdesk.report import Period, gather, period_for, rising_topics, write_report
from frontdesk.settings import MatchingSettings, Settings
from frontdesk.store import SqliteStore
from frontdesk.yamlfile import parse_yaml
from intents.matching import FaqMatcher

SETTINGS = dataclasses.replace(Settings(), matching=MatchingSettings(answer=70.0, suggest=45.0),
                               departments={"health": "卫健局 / Health Commission", "community": "社区工作站"})
CHARTS = {"volume.png", "outcomes.png", "handoffs.png", "claims.png", "departments.png", "top_entries.png",
          "not_helpful.png", "rising.png"}
NOW = local(DAY, 23, 0) + 86400  # the report is written the next evening


@pytest.fixture(scope="module")
def faq(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "faq.yaml"
    path.write_text(FAQ, encoding="utf-8")
    return parse_faq(parse_yaml(FAQ, str(path)), str(path))


@pytest.fixture(scope="module")
def seeded_db(faq, tmp_path_factory):
    db = tmp_path_factory.mktemp("report-db") / "cases.sqlite3"

    async def seed():
        clock = ManualClock()
        async with SqliteStore(db, clock=clock) as store:
            return await seed_day(store, clock, faq, questions=150, baseline_per_day=20)

    return db, asyncio.run(seed())


async def report_data(db, faq, period):
    async with SqliteStore(db) as store:
        return await gather(store, period, faq, FaqMatcher(faq), now=NOW, matching=SETTINGS.matching)


def figure(markdown: str, label: str) -> str:
    """Return the Count column of the summary row with this label."""
    match = re.search(rf"^\| [^|]*{re.escape(label)} \| ([^|]+) \|", markdown, re.MULTILINE)
    assert match, label
    return match.group(1).strip()


@pytest.fixture(scope="module")
def day_report(seeded_db, faq, tmp_path_factory):
    db, seeded = seeded_db
    out = tmp_path_factory.mktemp("reports")
    data = asyncio.run(report_data(db, faq, Period(DAY, DAY, TZ)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph (a tofu box) is a warning from matplotlib: fail on it
        path = write_report(data, faq, SETTINGS, out, cjk=False)
    return path, path.read_text(encoding="utf-8"), seeded


def test_the_summary_matches_what_was_seeded(day_report):
    path, markdown, seeded = day_report
    assert path.name == "report.md" and path.parent.name == DAY.isoformat()
    assert markdown.startswith(f"# 热线日报 Daily hotline report: {DAY.isoformat()} (Friday)")
    assert figure(markdown, "Citizen questions") == f"{seeded.questions:,}"
    assert figure(markdown, "Answered by the bot") == f"{seeded.decisions['answer']:,}"
    assert figure(markdown, "Handed to a person") == f"{seeded.decisions['handoff']:,}"
    assert figure(markdown, "Cases opened") == str(seeded.cases)
    assert figure(markdown, "Forwarded to departments") == str(sum(seeded.forwarded.values()))
    assert f"{seeded.urgent} urgent, of which {seeded.urgent - seeded.urgent_late} claimed within the 5 min limit, " \
           f"**{seeded.urgent_late} late**" in markdown


def test_every_section_is_there_with_its_chart(day_report):
    path, markdown, _ = day_report
    for number, title in enumerate(("Messages per hour", "Answered by the bot vs handed off",
                                    "Handoffs by reason and category", "Urgent cases and time to claim",
                                    "Cases forwarded to departments", "Most asked FAQ entries",
                                    "“Not helpful” rates per entry", "Topics rising against the previous 7 days",
                                    "Questions the bot could not answer"), 1):
        assert re.search(rf"^## {number}\. .* {re.escape(title)}$", markdown, re.MULTILINE), title
    linked = set(re.findall(r"!\[[^]]*\]\(([^)]+)\)", markdown))
    assert linked == CHARTS == {p.name for p in path.parent.glob("*.png")}
    for name in CHARTS:
        data = (path.parent / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert 700 < width < 1600 and 200 < height < 1200, (name, width, height)


def test_the_sections_carry_the_right_figures(day_report):
    _, markdown, seeded = day_report
    assert "| 卫健局 Health Commission | 2 |" in markdown and "| 社区工作站 | 1 |" in markdown
    assert re.search(rf"`{seeded.rising_entry}` .*\| entry \| \d+ \|", markdown)  # rising against the week
    assert re.search(rf"^\| `{seeded.unhelpful_entry}` .* \| (\d+) \| (\d+) \| 3\d% \|$", markdown, re.MULTILINE)
    assert f"| 未匹配 no FAQ match | {seeded.unanswered + 1} |" in markdown  # + the case marked for the FAQ
    assert "| #25 |" in markdown and "**not claimed**" in markdown and "**late**" in markdown
    assert "| 游泳馆开了吗 | 9 | 9 unmatched | none close" in markdown
    assert SECRET_PHONE not in markdown and "13800001111" not in markdown


def test_a_week_report_compares_days(seeded_db, faq, tmp_path):
    db, seeded = seeded_db
    period = period_for(DAY, 7, TZ)
    data = asyncio.run(report_data(db, faq, period))
    path = write_report(data, faq, SETTINGS, tmp_path, cjk=False)
    assert path.parent.name == "2026-11-21_2026-11-27"
    markdown = path.read_text(encoding="utf-8")
    assert markdown.startswith("# 热线报告 Hotline report: 2026-11-21 – 2026-11-27 (7 days)")
    assert figure(markdown, "Citizen questions") == f"{seeded.questions + 6 * 21:,}"
    assert {"volume.png", "hours.png"} <= {p.name for p in path.parent.glob("*.png")}
    assert "Busiest day: **11-27**" in markdown


def test_an_empty_period_still_reads_well(seeded_db, faq, tmp_path):
    db, _ = seeded_db
    data = asyncio.run(report_data(db, faq, Period(DAY.replace(year=2025), DAY.replace(year=2025), TZ)))
    path = write_report(data, faq, SETTINGS, tmp_path, cjk=False)
    markdown = path.read_text(encoding="utf-8")
    assert "No messages in this period." in markdown and "No cases were opened in this period." in markdown
    assert list(path.parent.glob("*.png")) == []


@pytest.mark.skipif(cjk_font() is None, reason="no CJK font installed (apt-get install fonts-wqy-microhei)")
def test_charts_use_chinese_labels_when_a_font_is_there(seeded_db, faq, tmp_path):
    db, _ = seeded_db
    data = asyncio.run(report_data(db, faq, Period(DAY, DAY, TZ)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = write_report(data, faq, SETTINGS, tmp_path, cjk=True)
    assert len(list(path.parent.glob("*.png"))) == len(CHARTS)


def test_rising_topics_grow_faster_than_the_hotline(faq):
    rising = rising_topics({"vaccine-booster": 40, "testing-sites": 40}, {"vaccine-booster": 7, "testing-sites": 70},
                           1, faq)
    assert [(r.key, r.kind) for r in rising] == [("vaccine-booster", "entry"), ("疫苗", "category")]
    assert rising[0].expected == pytest.approx(7 * 80 / 77)
    assert rising_topics({"testing-sites": 40}, {"testing-sites": 70}, 1, faq) == []  # busier all round: no topic
    assert rising_topics({"fever-clinic": 12}, {}, 1, faq)[0].change == "new"


def test_cli_report(seeded_db, faq, tmp_path, capsys):
    db, seeded = seeded_db
    faq_path = tmp_path / "faq.yaml"
    faq_path.write_text(FAQ, encoding="utf-8")
    assert main(["report", "--db", str(db), "--faq", str(faq_path), "--day", DAY.isoformat(),
                 "--out", str(tmp_path / "reports")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'reports' / DAY.isoformat() / 'report.md'}: {seeded.questions} questions")
    assert main(["report", "--db", str(tmp_path / "none.sqlite3")]) == 2


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_shows_only_on_a_terminal():
    quiet = io.StringIO()
    progress = Progress("importing", 3, stream=quiet)
    progress.update(1)
    progress.done()
    assert quiet.getvalue() == ""
    shown = Terminal()
    progress = Progress("importing", 3, stream=shown, every=0)
    progress.update(1)
    progress.step("drawing volume.png")
    progress.done()
    assert "\rimporting: 1/3" in shown.getvalue() and "\rimporting: drawing volume.png" in shown.getvalue()
    assert shown.getvalue().endswith("\r\x1b[K")


def test_citizens_words_in_the_report_are_inert(faq, tmp_path):
    from seeding import Seeder

    hostile = "停车场<img src=x onerror=alert(1)>收费 ![t](http://evil.example/p.png) 多少钱"
    db = tmp_path / "hostile.sqlite3"

    async def seed():
        import random

        clock = ManualClock()
        async with SqliteStore(db, clock=clock) as store:
            seeder = Seeder(store, clock, faq, random.Random(1))
            for minute in range(4):
                await seeder.handoff(local(DAY, 10, minute), hostile, "unmatched", claim_after=None)

    asyncio.run(seed())
    data = asyncio.run(report_data(db, faq, Period(DAY, DAY, TZ)))
    markdown = write_report(data, faq, SETTINGS, tmp_path / "out", cjk=False).read_text(encoding="utf-8")
    assert "停车场" in markdown  # the question is listed among the gaps...
    assert "<img" not in markdown and "![t](" not in markdown  # ...as text, never as markup
