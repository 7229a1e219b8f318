"""The desk's test harness: a small FAQ and a Desk on a real SQLite file."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

from frontdesk.desk import Desk
from frontdesk.knowledge import KnowledgeBase
from frontdesk.settings import load_settings
from frontdesk.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
FAQ = """\
version: 1
synonyms:
  核酸检测: [核酸, 做核酸, PCR, nucleic acid test]
entries:
  - id: health-code-yellow
    category: 健康码
    questions: [健康码变黄了怎么办, 为什么我的健康码是黄码, "My health code turned yellow, what should I do?"]
    answer: {zh: 黄码请按提示完成三天两检。, en: "With a yellow code take two tests in three days."}
  - id: testing-sites
    category: 核酸检测
    questions: [核酸检测点在哪里, 附近哪里可以做核酸, "Where can I get a PCR test?"]
    answer: {zh: 全区共有42个常态化核酸检测点。, en: There are 42 permanent testing sites in the district.}
  - id: fever-clinic
    category: 就医
    questions: [发热门诊在哪里, 发烧了去哪个医院看, "Where is the fever clinic?"]
    answer: {zh: 区人民医院发热门诊24小时开放。, en: "The fever clinic at the District People's Hospital is open 24/7."}
"""


@contextlib.asynccontextmanager
async def open_desk(tmp_path, **store_options):
    """Yield a Desk on tmp_path/faq.yaml (holding FAQ) and tmp_path/desk.sqlite3 (`store_options` go to the store)."""
    faq = tmp_path / "faq.yaml"
    faq.write_text(FAQ, encoding="utf-8")
    settings = dataclasses.replace(load_settings(ROOT / "settings.yaml", environ={}), faq_path=faq,
                                   db_path=tmp_path / "desk.sqlite3")
    store = SqliteStore(settings.db_path, **store_options)
    await store.open()
    try:
        kb = KnowledgeBase(settings.faq_path, settings.intents_path, settings.messages_paths)
        yield Desk(kb, store, settings)
    finally:
        await store.close()
