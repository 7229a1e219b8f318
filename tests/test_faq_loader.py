"""The FAQ loader: good files load, broken ones are refused naming file, line and field."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from frontdesk.faq import load_faq
from frontdesk.yamlfile import DataFileError

GOOD = """\
version: 1
synonyms:
  核酸检测: [核酸, PCR]
entries:
  - id: health-code-yellow
    category: 健康码
    questions:
      - 健康码变黄了怎么办
      - My health code turned yellow, what should I do?
    answer:
      zh: 请按提示完成核酸检测。
      en: Please take a PCR test as instructed.
  - id: hotline-hours
    questions: [热线几点上班]
    answer: "08:00-22:00"
    valid_until: 2099-01-01
"""


def write(tmp_path, text: str):
    path = tmp_path / "faq.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path) -> list[str]:
    with pytest.raises(DataFileError) as info:
        load_faq(path)
    return [str(p) for p in info.value.problems]


def test_good_file_loads_with_both_languages(tmp_path):
    faq = load_faq(write(tmp_path, GOOD))
    assert [e.id for e in faq.entries] == ["health-code-yellow", "hotline-hours"]
    entry = faq.get("health-code-yellow")
    assert entry.answer("zh") == "请按提示完成核酸检测。"
    assert entry.answer("en") == "Please take a PCR test as instructed."
    assert faq.get("hotline-hours").answer("en") == "08:00-22:00"
    assert faq.synonyms == {"核酸检测": ("核酸", "PCR")}


def test_broken_indent_names_the_line(tmp_path):
    broken = GOOD.replace("    category: 健康码", "     category: 健康码")
    problems = problems_of(write(tmp_path, broken))
    assert len(problems) == 1
    assert "faq.yaml:6:" in problems[0] and "syntax" in problems[0]


def test_duplicate_id_names_both_lines(tmp_path):
    problems = problems_of(write(tmp_path, GOOD.replace("id: hotline-hours", "id: health-code-yellow")))
    assert any("faq.yaml:13:" in p and "duplicate id 'health-code-yellow'" in p and "line 5" in p for p in problems)


def test_entry_without_questions(tmp_path):
    text = GOOD.replace("    questions: [热线几点上班]\n", "")
    problems = problems_of(write(tmp_path, text))
    assert any("faq.yaml:13:" in p and "entries[1] (id hotline-hours).questions" in p for p in problems)


def test_empty_answer_and_unknown_language(tmp_path):
    text = GOOD.replace("      en: Please take a PCR test as instructed.", "      fr: Bonjour\n      en: ''")
    problems = problems_of(write(tmp_path, text))
    assert any(":12:" in p and "answer.fr" in p and "unknown language" in p for p in problems)
    assert any(":13:" in p and "answer.en" in p and "empty" in p for p in problems)


def test_bad_id_bad_date_unknown_field(tmp_path):
    text = GOOD.replace("id: hotline-hours", "id: Hotline Hours").replace("2099-01-01", "soon")
    text = text.replace("    category: 健康码", "    categroy: 健康码")
    problems = problems_of(write(tmp_path, text))
    assert any("categroy" in p and "unknown field" in p for p in problems)
    assert any(".id" in p and "lowercase" in p for p in problems)
    assert any("valid_until" in p and "not a date" in p for p in problems)


def test_missing_file_and_empty_file(tmp_path):
    assert "file not found" in problems_of(tmp_path / "nope.yaml")[0]
    assert "empty" in problems_of(write(tmp_path, ""))[0]


def test_expired_entries_are_dropped_from_the_active_faq(tmp_path):
    import datetime as dt

    faq = load_faq(write(tmp_path, GOOD.replace("2099-01-01", "2020-01-01")))
    assert [e.id for e in faq.active(dt.date(2026, 1, 1)).entries] == ["health-code-yellow"]


def run_check(root, *args):
    return subprocess.run([sys.executable, str(root / "bot.py"), "faq", "check", *map(str, args)],
                          capture_output=True, text=True, timeout=60, cwd=root)


def test_cli_check_good_and_broken(tmp_path, root):
    good = run_check(root, write(tmp_path, GOOD))
    assert good.returncode == 0, good.stderr
    assert "OK, 2 entries" in good.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("id: hotline-hours", "id: health-code-yellow"), encoding="utf-8")
    result = run_check(root, bad)
    assert result.returncode == 1
    assert "bad.yaml:13:" in result.stderr and "duplicate id" in result.stderr


def test_cli_check_shipped_faq(root):
    result = run_check(root)
    assert result.returncode == 0, result.stderr


def _shipped_copy(tmp_path, root, edit):
    lines = (root / "faq.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    target = next(i for i, line in enumerate(lines) if line.startswith("  - id: health-code-red"))
    edit(lines, target)
    path = tmp_path / "faq.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path, target + 1


@pytest.mark.parametrize(("name", "edit", "expected"), [
    ("broken indent", lambda lines, i: lines.__setitem__(i + 1, " " + lines[i + 1]), "syntax"),
    ("duplicate id", lambda lines, i: lines.__setitem__(i, "  - id: health-code-apply\n"), "duplicate id"),
    ("no questions", lambda lines, i: lines.__setitem__(i + 2, lines[i + 2].replace("questions:", "qs:")),
     "questions: missing"),
])
def test_cli_check_on_a_broken_copy_of_the_shipped_faq(tmp_path, root, name, edit, expected):
    path, line = _shipped_copy(tmp_path, root, edit)
    result = run_check(root, path)
    assert result.returncode == 1, name
    located = [row for row in result.stderr.splitlines() if expected in row]
    assert located, result.stderr
    numbers = {int(row.split("faq.yaml:")[1].split(":")[0]) for row in located}
    assert numbers & {line, line + 1, line + 2}, (name, numbers, line)


def test_knowledge_expires_entries_by_the_hotlines_calendar(tmp_path, root):
    import datetime as dt

    from frontdesk.knowledge import KnowledgeBase
    from frontdesk.reload import KnowledgeWatcher
    from frontdesk.settings import load_settings

    faq = write(tmp_path, GOOD.replace("2099-01-01", "2026-11-28"))
    settings = load_settings(root / "settings.yaml", environ={})
    days = iter([dt.date(2026, 11, 28), dt.date(2026, 11, 29)])
    calendar = {"day": next(days)}
    kb = KnowledgeBase(faq, settings.intents_path, settings.messages_paths, lambda: calendar["day"])
    assert kb.current.faq.get("hotline-hours") is not None  # valid through the 28th
    calendar["day"] = next(days)
    kb.reload()
    assert kb.current.faq.get("hotline-hours") is None  # gone on the 29th by the knowledge base's calendar
    assert KnowledgeWatcher(kb).today() == dt.date(2026, 11, 29)  # the watcher follows the same calendar
    assert isinstance(settings.today(), dt.date)
