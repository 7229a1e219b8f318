"""FAQ gaps over a seeded database: grouping, ranking, closest entry, skeletons, operators' marked cases."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import yaml
from seeding import DAY, FAQ, GAP_TITLES, SECRET_PHONE, local, seed_day

from frontdesk.cli import main
from frontdesk.clock import ManualClock
from frontdesk.faq import parse_faq
from frontdesk.gaps import find_gaps, group_questions, render_gaps, skeleton
from frontdesk.model import Citizen
from frontdesk.settings import MatchingSettings
from frontdesk.store import SqliteStore
from frontdesk.store.reports import MissedQuestion, faq_suggestions
from frontdesk.yamlfile import parse_yaml
from intents.matching import FaqMatcher

MATCHING = MatchingSettings(answer=70.0, suggest=45.0)


@pytest.fixture(scope="module")
def faq_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("gaps") / "faq.yaml"
    path.write_text(FAQ, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def faq(faq_path):
    return parse_faq(parse_yaml(FAQ, str(faq_path)), str(faq_path))


@pytest.fixture(scope="module")
def seeded_db(faq, faq_path):
    """Seed one database for the whole module (the tests only read it)."""
    db = faq_path.parent / "cases.sqlite3"

    async def seed():
        clock = ManualClock()
        async with SqliteStore(db, clock=clock) as store:
            return await seed_day(store, clock, faq, questions=60, baseline_per_day=5)

    return db, asyncio.run(seed())


@pytest.fixture
async def seeded(seeded_db):
    db, result = seeded_db
    async with SqliteStore(db) as store:
        yield store, result


async def gaps_of(store, faq, since=DAY, until=DAY + dt.timedelta(days=1)):
    return await find_gaps(store, FaqMatcher(faq), faq, local(since, 0), local(until, 0), matching=MATCHING)


async def test_unanswered_questions_are_grouped_and_ranked(seeded, faq):
    store, result = seeded
    gaps = await gaps_of(store, faq)
    marked, *groups = gaps
    assert marked.case_number == result.marked_case
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)
    unmatched = [g for g in groups if "unmatched" in g.kinds]
    assert [g.title for g in unmatched[:3]] == list(GAP_TITLES)
    swim = groups[0]
    assert swim.count == 9 and swim.kinds == {"unmatched": 9}
    assert {text for text, _ in swim.examples} == {
        "游泳馆开了吗", "游泳馆开门了吗", "请问游泳馆开了吗？", "游泳馆现在开放了吗"}
    assert sum(n for _, n in swim.examples) == 9
    assert swim.closest is None or swim.closest[1] < MATCHING.suggest
    assert swim.category is None and swim.answered_by is None
    assert [g.count for g in unmatched[:3]] == [9, 6, 4]


async def test_not_helpful_answers_point_at_the_entry_to_improve(seeded, faq):
    store, result = seeded
    gaps = await gaps_of(store, faq)
    unhelpful = [g for g in gaps if g.not_helpful.get(result.unhelpful_entry)]
    assert unhelpful and all(g.answered_by == result.unhelpful_entry for g in unhelpful)
    text = render_gaps(gaps, DAY)
    assert f"the bot already answers this with {result.unhelpful_entry}: improve that entry's answer" in text


async def test_an_operators_marked_case_comes_first_with_the_reply_as_draft(seeded, faq):
    store, _ = seeded
    marked = (await gaps_of(store, faq))[0]
    assert marked.title == "核酸采样点周日开门吗" and marked.kinds == {"operator": 1}
    assert marked.draft == "周日各采样点照常开放，时间为 8:00-17:00。"
    assert marked.category == "核酸检测"  # the case's category
    entry = yaml.safe_load(skeleton(marked))[0]
    assert entry["answer"] == {"zh": "周日各采样点照常开放，时间为 8:00-17:00。\n", "en": ""}
    # its question is not listed a second time among the unmatched ones
    assert sum("核酸采样点周日开门吗" in g.title for g in await gaps_of(store, faq)) == 1


async def test_a_skeleton_becomes_a_valid_entry_once_answered(seeded, faq):
    store, _ = seeded
    swim = (await gaps_of(store, faq))[1]
    text = skeleton(swim)
    assert '      zh: ""    # write the Chinese answer' in text
    with_answer = text.replace('zh: ""', "zh: 游泳馆已于本周一重新开放。").replace('en: ""', "en: Pools reopened.")
    new_faq = FAQ + with_answer + "\n"
    loaded = parse_faq(parse_yaml(new_faq, "faq.yaml"), "faq.yaml")
    assert loaded.entries[-1].questions[0] == "游泳馆开了吗"
    with pytest.raises(Exception, match="answer is empty"):
        parse_faq(parse_yaml(FAQ + text + "\n", "faq.yaml"), "faq.yaml")  # unanswered, it cannot go live


async def test_personal_numbers_are_masked_in_the_output(seeded, faq):
    store, _ = seeded
    text = render_gaps(await gaps_of(store, faq), DAY)
    assert SECRET_PHONE not in text and "139****5678" in text


async def test_only_the_period_asked_for(seeded, faq):
    store, _ = seeded
    assert await gaps_of(store, faq, since=DAY + dt.timedelta(days=1), until=DAY + dt.timedelta(days=2)) == []
    assert "every question in this period was answered" in render_gaps([], DAY)


def test_grouping_keeps_different_questions_apart():
    def q(i, text):
        return MissedQuestion(i, float(i), text, "zh", "unmatched", None, None, None)

    texts = ["外卖能送进小区吗", "外卖能送进小区吗？", "快递能送进小区吗",
             "公交停运了吗", "地铁停运了吗", "公交停运了没有"]
    groups = group_questions([q(i, t) for i, t in enumerate(texts)])
    assert sorted(sorted(x.text for x in g) for g in groups) == sorted([
        ["外卖能送进小区吗", "外卖能送进小区吗？"], ["快递能送进小区吗"],
        ["公交停运了吗", "公交停运了没有"], ["地铁停运了吗"],
    ])


def test_cli_gaps(seeded_db, faq_path, tmp_path, capsys):
    db, _ = seeded_db
    settings = tmp_path / "settings.yaml"
    settings.write_text("version: 1\nmatching:\n  answer: 70\n  suggest: 45\n", encoding="utf-8")
    assert main(["--settings", str(settings), "faq", "gaps", "--db", str(db), "--faq", str(faq_path),
                 "--since", DAY.isoformat(), "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Questions the bot could not answer since {DAY.isoformat()}:")
    assert "1. [operator] case #" in out and "2. 游泳馆开了吗 — asked 9 time(s) (9 unmatched)" in out
    assert "4. " not in out and SECRET_PHONE not in out
    assert main(["faq", "gaps", "--db", str(tmp_path / "none.sqlite3")]) == 2


async def test_the_operators_draft_wins_over_the_reply_and_the_mark_dates_it(tmp_path, faq):
    clock = ManualClock(local(DAY, 9))
    async with SqliteStore(tmp_path / "mark.sqlite3", clock=clock) as store:
        case = await store.open_case(Citizen("telegram", "7", "7", "市民"), reason="unmatched", priority="normal",
                                     question="周末能打疫苗吗", language="zh")
        await store.claim(case.number, "duty1")
        await store.enqueue(case.number, "telegram", "7", "可以。", "duty1")
        await store.resolve(case.number, "duty1")
        assert await gaps_of(store, faq) == []  # resolved, but nobody marked it
        clock.advance(600)
        await store.mark_for_faq(case.number, "duty1", "周末各接种点 9:00-16:00 开放。")
        [marked] = await gaps_of(store, faq)
        assert (marked.case_number, marked.draft, marked.last_at) == (
            case.number, "周末各接种点 9:00-16:00 开放。", local(DAY, 9) + 600)
        assert (await faq_suggestions(store, 0, local(DAY, 23)))[0].operator_id == "duty1"
        # a case marked another day belongs to that day's gaps
        clock.now = local(DAY + dt.timedelta(days=1), 9)
        await store.mark_for_faq(case.number, "lead", force=True)
        [earlier] = await faq_suggestions(store, local(DAY, 0), local(DAY + dt.timedelta(days=1), 0))
        assert (earlier.operator_id, earlier.marked_at) == ("duty1", local(DAY, 9) + 600)
        [later] = await faq_suggestions(store, local(DAY + dt.timedelta(days=1), 0),
                                        local(DAY + dt.timedelta(days=2), 0))
        assert (later.operator_id, later.draft) == ("lead", "周末各接种点 9:00-16:00 开放。")


async def test_a_faq_note_no_longer_marks_a_case(tmp_path, faq):
    """The #faq note workaround is gone (migration 0005_case_faq carried old marks over to the flag)."""
    async with SqliteStore(tmp_path / "note.sqlite3", clock=ManualClock(local(DAY, 9))) as store:
        case = await store.open_case(Citizen("telegram", "7", "7", "市民"), reason="unmatched", priority="normal",
                                     question="周末能打疫苗吗", language="zh")
        await store.claim(case.number, "duty1")
        await store.enqueue(case.number, "telegram", "7", "可以。", "duty1")
        await store.add_note(case.number, "duty1", "#faq 周末各接种点 9:00-16:00 开放。")
        assert await faq_suggestions(store, 0, local(DAY, 23)) == []
        assert not (await store.get_case(case.number)).add_to_faq


async def test_a_marked_case_without_any_reply_has_no_draft(tmp_path, faq):
    async with SqliteStore(tmp_path / "bare.sqlite3", clock=ManualClock(local(DAY, 9))) as store:
        case = await store.open_case(Citizen("telegram", "7", "7", "市民"), reason="unmatched", priority="normal",
                                     question="游泳馆开了吗", language="zh")
        await store.claim(case.number, "duty1")
        await store.mark_for_faq(case.number, "duty1")
        [marked] = await gaps_of(store, faq)
    assert marked.case_number == case.number and marked.draft is None
    assert '      zh: ""    # write the Chinese answer' in skeleton(marked)
