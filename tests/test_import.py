"""Spreadsheet import: CSV and XLSX fixtures become a valid FAQ, merged by id without losing comments."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from frontdesk.cli import main
from frontdesk.faq import load_faq
from frontdesk.importer import Columns, import_file, make_id, split_questions
from frontdesk.yamlfile import DataFileError

DATA = Path(__file__).resolve().parent / "data" / "import"
TODAY = dt.date(2026, 11, 29)
XLSX_COLUMNS = Columns.with_defaults(questions=("Question (Chinese)", "Question (English)"),
                                     answer="Answer (Chinese)", answer_en="Answer (English)", category="Topic",
                                     delimiters=("；",))
EXISTING = """\
# 区热线 FAQ —— 维护说明：每条问法只写在一个条目里。
version: 1

entries:

  # ---- 热线 ----
  - id: hotline-hours
    category: 热线服务
    questions:
      - 热线几点上班   # 市民最常用的说法
      - 你们几点有人
    answer:
      zh: 旧的答案。
      en: Old answer.
    keywords: [上班时间]
    updated: 2026-11-01
    source: 区热线管理办法

  # ---- 疫苗 ----
  - id: vaccine-where
    category: 疫苗
    questions:
      - 加强针在哪里打
      - Where can I get a booster shot?
    answer:
      zh: 旧的疫苗答案。
      en: Old vaccine answer.
    notes: 每周一核对接种点名单
"""


def test_csv_becomes_a_valid_faq(tmp_path):
    out = tmp_path / "faq.yaml"
    outcome = import_file(DATA / "hotline.csv", out, today=TODAY)
    faq = load_faq(out)
    sunday = make_id("周日可以做核酸吗")
    assert [e.id for e in faq.entries] == [
        "hotline-hours", sunday, make_id("停车场几点开门"), make_id("加强针要预约吗")]
    assert outcome.added == [e.id for e in faq.entries] and outcome.rows == 4
    hours = faq.get("hotline-hours")
    assert hours.questions == ("热线几点上班", "热线服务时间是什么时候", "What are the hotline's opening hours?")
    assert hours.answer("zh") == "人工服务时间：每天 8:00-22:00。\n夜间紧急情况请拨打 120。"
    assert hours.category == "热线服务"
    assert faq.get(sunday).questions == ("周日可以做核酸吗", "周末核酸点开门吗", "Can I get a PCR test on Sunday?")
    parking = faq.get(make_id("停车场几点开门"))
    assert parking.answers == {"zh": "12:30", "en": "yes"}  # not the number 750 or the boolean true
    assert parking.questions == ("停车场几点开门", "What time does the car park open?")
    assert faq.get(make_id("加强针要预约吗")).answers == {"zh": "不需要预约，带身份证即可。"}
    assert "imported from hotline.csv on 2026-11-29" in out.read_text(encoding="utf-8")


def test_importing_the_same_sheet_again_changes_nothing(tmp_path):
    out = tmp_path / "faq.yaml"
    import_file(DATA / "hotline.csv", out, today=TODAY)
    first = out.read_text(encoding="utf-8")
    again = import_file(DATA / "hotline.csv", out, today=TODAY + dt.timedelta(days=3))
    assert again.added == [] and again.updated == [] and len(again.unchanged) == 4
    assert out.read_text(encoding="utf-8") == first


def test_gbk_csv_is_read(tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((DATA / "hotline.csv").read_text(encoding="utf-8-sig").encode("gbk"))
    import_file(gbk, tmp_path / "faq.yaml", today=TODAY)
    assert load_faq(tmp_path / "faq.yaml").get("hotline-hours").questions[0] == "热线几点上班"


def test_xlsx_merges_into_an_existing_faq_keeping_comments(tmp_path):
    out = tmp_path / "faq.yaml"
    out.write_text(EXISTING, encoding="utf-8")
    outcome = import_file(DATA / "hotline.xlsx", out, XLSX_COLUMNS, today=TODAY)
    # matched by question (the sheet has no ids): the vaccine entry is updated, the others added
    assert outcome.updated == ["vaccine-where"]
    assert outcome.added == [make_id("老人可以上门接种吗"), make_id("外地回来要隔离吗")]
    text = out.read_text(encoding="utf-8")
    for kept in ("# 区热线 FAQ —— 维护说明：每条问法只写在一个条目里。", "  # ---- 热线 ----", "  # ---- 疫苗 ----",
                 "      - 热线几点上班   # 市民最常用的说法", "    notes: 每周一核对接种点名单",
                 "    source: 区热线管理办法",
                 "    updated: 2026-11-01"):
        assert kept in text
    assert text.startswith(EXISTING.split("  # ---- 疫苗 ----")[0])  # the untouched entry is byte for byte the same
    faq = load_faq(out)
    vaccine = faq.get("vaccine-where")
    assert vaccine.questions == ("加强针在哪里打", "附近哪里能打加强针", "Where can I get a booster shot?")
    assert vaccine.answer("en") == "At any community health centre; bring your ID."
    home = faq.get(make_id("老人可以上门接种吗"))
    assert home.category == "疫苗" and "0571-8888 1234" in home.answer("zh")
    travel = faq.get(make_id("外地回来要隔离吗"))
    assert travel.questions == ("外地回来要隔离吗", "从外地回来需要隔离吗") and travel.category == "出行"
    assert travel.answers == {"zh": "请按最新公告执行，落地后 24 小时内报备。"}


def test_a_bad_row_is_named_and_nothing_is_written(tmp_path):
    sheet = tmp_path / "bad.csv"
    sheet.write_text("id,question,answer\nok-1,问题一,答案一\nBad Id,问题二,答案二\n,问题三,\nok-1,问题四,答案四\n",
                     encoding="utf-8")
    out = tmp_path / "faq.yaml"
    out.write_text(EXISTING, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        import_file(sheet, out, today=TODAY)
    assert [str(p) for p in info.value.problems] == [
        f"{sheet}:3: id: 'Bad Id': use only lowercase letters, digits, '-' and '_'",
        f"{sheet}:4: answer: no answer in this row",
        f"{sheet}:5: id: 'ok-1' is also on row 2",
    ]
    assert out.read_text(encoding="utf-8") == EXISTING


def test_a_result_that_would_not_load_is_not_written(tmp_path):
    out = tmp_path / "faq.yaml"
    out.write_text(EXISTING.replace("version: 1", "version: 7"), encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        import_file(DATA / "hotline.csv", out, today=TODAY)
    assert any("unsupported version 7" in str(p) for p in info.value.problems)
    assert "version: 7" in out.read_text(encoding="utf-8") and "周日" not in out.read_text(encoding="utf-8")


def test_a_missing_column_is_named(tmp_path):
    with pytest.raises(DataFileError) as info:
        import_file(DATA / "hotline.xlsx", tmp_path / "faq.yaml", Columns(questions=("问题",)), today=TODAY)
    assert "--question-col: no column '问题'; the columns are: Topic, Question (Chinese)" in str(info.value)


def test_question_cells_split_on_the_delimiters():
    assert split_questions("a|b｜c\nd\r\n a ", ("|", "｜", "\n")) == ["a", "b", "c", "d"]
    assert split_questions("PCR/核酸多少钱；核酸价格", ("；",)) == ["PCR/核酸多少钱", "核酸价格"]


def test_cli_import_with_columns_and_dry_run(tmp_path, capsys):
    out = tmp_path / "faq.yaml"
    shutil.copy(DATA / "hotline.csv", tmp_path / "sheet.csv")
    args = ["faq", "import", str(DATA / "hotline.xlsx"), "--out", str(out), "--question-col", "Question (Chinese)",
            "--question-col", "Question (English)", "--answer-col", "Answer (Chinese)", "--answer-en-col",
            "Answer (English)", "--category-col", "Topic", "--delimiter", "；"]
    assert main([*args, "--dry-run"]) == 0
    assert "would write 3 entries: 3 added" in capsys.readouterr().out and not out.exists()
    assert main(args) == 0
    assert "wrote 3 entries: 3 added, 0 updated" in capsys.readouterr().out
    assert len(load_faq(out).entries) == 3
    assert main(["faq", "import", str(tmp_path / "sheet.csv"), "--out", str(out), "--sheet", "x"]) == 0
    assert main(["faq", "import", str(tmp_path / "nope.csv"), "--out", str(out)]) == 1
    assert "nope.csv: (file): file not found" in capsys.readouterr().err
