"""Write hotline.xlsx: the same kind of sheet as hotline.csv, with other column names (run from this folder)."""

from pathlib import Path

import openpyxl

ROWS = [
    ("Topic", "Question (Chinese)", "Question (English)", "Answer (Chinese)", "Answer (English)", "Notes"),
    ("疫苗", "加强针在哪里打；附近哪里能打加强针", "Where can I get a booster shot?",
     "各社区卫生服务中心均可接种，请带身份证。", "At any community health centre; bring your ID.", "checked 11-20"),
    ("疫苗", "老人可以上门接种吗", "Can elderly people be vaccinated at home?",
     "行动不便的老人可预约上门接种，电话 0571-8888 1234。",
     "Elderly people who cannot go out can book a home visit.", ""),
    (None, None, None, None, None, None),
    ("出行", "外地回来要隔离吗；从外地回来需要隔离吗", None, "请按最新公告执行，落地后 24 小时内报备。", None, ""),
]

if __name__ == "__main__":
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "FAQ"
    for row in ROWS:
        sheet.append(row)
    book.create_sheet("Changelog").append(("date", "who"))
    book.save(Path(__file__).with_name("hotline.xlsx"))
