"""The FAQ linter: one small broken FAQ per rule, the --strict switch, and speed on a real-sized FAQ."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from frontdesk.cli import main
from frontdesk.lint import RULES, lint_file
from frontdesk.settings import MatchingSettings

TODAY = dt.date(2026, 6, 1)
THRESHOLDS = MatchingSettings(answer=70.0, suggest=45.0)  # fixed here so a recalibration elsewhere cannot move them


def entry(entry_id: str, questions: list[str], zh: str | None = "中文答案。", en: str | None = "An answer.",
          extra: str = "") -> str:
    """Return one entry as faq.yaml writes it."""
    lines = [f"  - id: {entry_id}", "    questions:", *(f"      - {q}" for q in questions)]
    if zh is not None or en is not None:
        lines.append("    answer:")
        lines.extend(f"      {lang}: {text}" for lang, text in (("zh", zh), ("en", en)) if text is not None)
    return "\n".join(lines) + "\n" + extra


HOURS = entry("hotline-hours", ["热线几点上班", "What are the hotline hours?"])
VACCINE = entry("vaccine-where", ["加强针在哪里打", "Where can I get a booster shot?"])


def write(tmp_path, *entries: str, synonyms: str = "") -> str:
    path = tmp_path / "faq.yaml"
    path.write_text("version: 1\n" + synonyms + "entries:\n" + "".join(entries), encoding="utf-8")
    return path


def warnings_of(path, rule: str | None = None):
    result = lint_file(path, THRESHOLDS, TODAY)
    assert result.errors == []
    return [w for w in result.warnings if rule is None or w.rule == rule]


def test_a_clean_faq_has_no_warnings(tmp_path):
    assert warnings_of(write(tmp_path, HOURS, VACCINE)) == []


def test_question_repeated_in_two_entries(tmp_path):
    path = write(tmp_path, HOURS, entry("hours-again", ["热线几点上班？", "When does the hotline open?"]))
    [warning] = warnings_of(path, "duplicate-question")
    assert warning.line == 12 and "entries[1] (id hours-again).questions[0]" in warning.field
    assert "already in entry 'hotline-hours' (line 5)" in warning.message
    assert str(warning).startswith(f"{path}:12: ") and str(warning).endswith("[duplicate-question]")


def test_question_repeated_inside_one_entry(tmp_path):
    [warning] = warnings_of(write(tmp_path, entry("hours", ["热线几点上班", "热线几点上班", "Hotline hours?"])),
                            "duplicate-question")
    assert "the same entry" in warning.message and warning.line == 6


def test_entries_the_matcher_will_confuse_are_named_with_their_score(tmp_path):
    apply = entry("code-apply", ["健康码在哪里申领", "How do I apply for a health code?"])
    online = entry("code-apply-online", ["健康码在哪里网上申领", "How do I apply for a health code online?"])
    [warning] = warnings_of(write(tmp_path, apply, online, HOURS, VACCINE), "similar-entries")
    assert "'code-apply' and 'code-apply-online'" in warning.message
    score = float(warning.message.split(" scores ")[1].split()[0])
    assert score >= THRESHOLDS.answer
    assert warning.line in (5, 6)  # the question of code-apply that scores highest for the other entry
    loose = lint_file(write(tmp_path, apply, online, HOURS, VACCINE), MatchingSettings(answer=95.0), TODAY)
    assert [w for w in loose.warnings if w.rule == "similar-entries"] == []


def test_missing_languages_in_answer_and_questions(tmp_path):
    path = write(tmp_path, HOURS, entry("vaccine-where", ["加强针在哪里打", "疫苗在哪里打"], en=None))
    found = warnings_of(path, "missing-language")
    assert [(w.line, w.field.split(".")[-1]) for w in found] == [(14, "answer"), (11, "questions")]
    assert "no English answer" in found[0].message and "no English question" in found[1].message


def test_a_language_neutral_answer_needs_no_translation(tmp_path):
    neutral = "  - id: hotline-phone\n    questions: [热线电话, Hotline number]\n    answer: '12345'\n"
    assert warnings_of(write(tmp_path, neutral, VACCINE), "missing-language") == []


def test_answer_over_telegram_limit(tmp_path):
    path = write(tmp_path, HOURS, entry("vaccine-where", ["加强针在哪里打", "Where is the booster?"], zh="长" * 4097))
    [warning] = warnings_of(path, "answer-too-long")
    assert warning.field.endswith("answer.zh") and warning.line == 15 and "4097 characters" in warning.message


def test_expired_entry(tmp_path):
    path = write(tmp_path, HOURS, entry("vaccine-where", ["加强针在哪里打", "Where is the booster?"],
                                        extra="    valid_until: 2026-05-31\n"))
    [warning] = warnings_of(path, "expired")
    assert warning.line == 17 and "expired on 2026-05-31" in warning.message
    assert lint_file(path, THRESHOLDS, dt.date(2026, 5, 31)).warnings == []  # the last valid day


def test_related_ids_that_do_not_exist(tmp_path):
    path = write(tmp_path, HOURS, entry("vaccine-where", ["加强针在哪里打", "Where is the booster?"],
                                        extra="    related: [hotline-hours, vaccine-wehre, vaccine-where]\n"))
    found = warnings_of(path, "related-missing")
    assert [(w.field.split(".")[-1], w.message) for w in found] == [
        ("related[1]", "'vaccine-wehre' is not the id of any entry"),
        ("related[2]", "'vaccine-where' is the entry itself"),
    ]


def test_a_variant_under_two_synonym_terms(tmp_path):
    synonyms = "synonyms:\n  黄码: [黄色健康码, yellow code]\n  红码: [红色健康码, Yellow Code]\n"
    [warning] = warnings_of(write(tmp_path, HOURS, VACCINE, synonyms=synonyms), "synonym-conflict")
    assert warning.line == 4 and warning.field == "synonyms.红码" and "also listed under '黄码'" in warning.message


def test_every_rule_is_documented():
    assert set(RULES) == {"duplicate-question", "similar-entries", "missing-language", "answer-too-long",
                          "expired", "related-missing", "synonym-conflict"}


@pytest.fixture
def settings_file(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("version: 1\nmatching:\n  answer: 70\n  suggest: 45\n", encoding="utf-8")
    return str(path)


def test_cli_warnings_pass_unless_strict_and_errors_always_fail(tmp_path, capsys, settings_file):
    path = write(tmp_path, HOURS, entry("vaccine-where", ["加强针在哪里打", "Where is the booster?"],
                                        extra="    related: [nope]\n"))
    assert main(["--settings", settings_file, "faq", "check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "OK, 2 entries, 1 warning(s)" in out
    assert f"warning: {path}:17: entries[1] (id vaccine-where).related[0]: 'nope'" in err
    assert main(["--settings", settings_file, "faq", "check", str(path), "--strict"]) == 1
    assert "--strict" in capsys.readouterr().err
    path.write_text(path.read_text(encoding="utf-8").replace("id: vaccine-where", "id: hotline-hours"),
                    encoding="utf-8")
    assert main(["--settings", settings_file, "faq", "check", str(path)]) == 1
    assert f"error: {path}:10: entries[1].id: duplicate id 'hotline-hours'" in capsys.readouterr().err


@pytest.mark.parametrize("date, expected", [("2026-06-01", 0), ("2099-01-01", 1)])
def test_cli_today_option_judges_expiry(tmp_path, capsys, settings_file, date, expected):
    path = write(tmp_path, HOURS, entry("vaccine-where", ["加强针在哪里打", "Where is the booster?"],
                                        extra="    valid_until: 2030-01-01\n"))
    assert main(["--settings", settings_file, "faq", "check", str(path), "--strict", "--today", date]) == expected


def test_the_shipped_faq_lints_quickly(root):
    started = time.perf_counter()
    result = lint_file(root / "faq.yaml", THRESHOLDS, dt.date.today())
    assert result.errors == []
    assert len(result.faq.entries) >= 100
    assert time.perf_counter() - started < 5.0
