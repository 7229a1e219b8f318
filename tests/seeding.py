"""Seed a case store with a believable hotline day through the store's public methods (for gaps, report, purge)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from frontdesk.clock import ManualClock
from frontdesk.faq import Faq
from frontdesk.model import Citizen

FAQ = """\
version: 1
entries:
  - id: health-code-apply
    category: 健康码
    questions:
      - 健康码在哪里申领
      - How do I get a health code?
    answer: {zh: 打开小程序申领，咨询电话 0571-8888 1234。, en: Use the mini-program.}
  - id: health-code-yellow
    category: 健康码
    questions:
      - 健康码变黄了怎么办
      - My health code turned yellow
    answer: {zh: 按提示完成三天两检。, en: Take two tests in three days.}
  - id: testing-sites
    category: 核酸检测
    questions:
      - 核酸检测点在哪里
      - Where can I get a PCR test?
    answer: {zh: 全区共有42个检测点。, en: There are 42 sites.}
  - id: testing-result
    category: 核酸检测
    questions:
      - 核酸结果在哪里查
      - Where do I find my test result?
    answer: {zh: 在健康码页面查询。, en: On the health code page.}
  - id: vaccine-where
    category: 疫苗
    questions:
      - 新冠疫苗在哪里打
      - Where can I get a COVID vaccine?
    answer: {zh: 各社区卫生服务中心。, en: At community health centres.}
  - id: vaccine-booster
    category: 疫苗
    questions:
      - 加强针什么时候打
      - When should I get a booster?
    answer: {zh: 完成全程接种满3个月后。, en: Three months after the primary course.}
  - id: fever-clinic
    category: 就医
    questions:
      - 发热门诊在哪里
      - Where is the fever clinic?
    answer: {zh: 区人民医院。, en: At the District People's Hospital.}
  - id: quarantine-rules
    category: 居家隔离
    questions:
      - 居家隔离有哪些规定
      - What are the home quarantine rules?
    answer: {zh: 不得外出。, en: Do not go out.}
"""
TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 27)  # a Friday
# Relative traffic per local hour: quiet at night, peaks mid-morning and mid-afternoon.
HOURLY = (1, 1, 0, 0, 0, 1, 3, 8, 14, 20, 24, 21, 12, 14, 19, 22, 18, 14, 10, 9, 8, 6, 4, 2)
# Questions the FAQ cannot answer, in groups of near-identical wordings, with how often each group is asked.
UNANSWERED = (
    (("游泳馆开了吗", "游泳馆开门了吗", "请问游泳馆开了吗？", "游泳馆现在开放了吗"), 9),
    (("小区垃圾好几天没人收", "小区垃圾好几天没人收了", "我们小区的垃圾好几天没人收"), 6),
    (("宠物隔离期间谁来喂", "隔离期间宠物谁来喂"), 4),
    (("my number is 13912345678, call me back please",), 1),
)
GAP_TITLES = ("游泳馆开了吗", "小区垃圾好几天没人收", "宠物隔离期间谁来喂")
SECRET_PHONE = "13912345678"  # written by a citizen: must never appear unmasked in a report or gaps output


@dataclass
class Seeded:
    """What was put in the store, to compare the report's figures against."""

    questions: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    cases: int = 0
    urgent: int = 0
    urgent_late: int = 0
    forwarded: dict[str, int] = field(default_factory=dict)
    unanswered: int = 0
    rising_entry: str = ""
    unhelpful_entry: str = ""
    marked_case: int | None = None
    texts: list[str] = field(default_factory=list)  # every citizen text stored
    baseline_questions: int = 0


def local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> float:
    """Return epoch seconds for a local time in the hotline's time zone."""
    return dt.datetime.combine(day, dt.time(hour, minute, second), TZ).timestamp()


class Seeder:
    """Writes interactions and cases at chosen times through the store's public methods."""

    def __init__(self, store, clock: ManualClock, faq: Faq, rng: random.Random):
        self.store = store
        self.clock = clock
        self.faq = faq
        self.rng = rng
        self.users = 0
        self.result = Seeded()

    def citizen(self, language: str = "zh") -> Citizen:
        self.users += 1
        return Citizen("telegram", str(10_000 + self.users), str(10_000 + self.users), f"市民{self.users}", language)

    async def ask(self, at: float, text: str, decision: str, entry_id: str | None, *, helpful: bool | None = None,
                  intent: str | None = None, case_number: int | None = None, citizen: Citizen | None = None,
                  count: bool = True) -> int:
        self.clock.now = at
        citizen = citizen or self.citizen()
        iid = await self.store.log_interaction(
            citizen, text=text, language="zh", decision=decision, intent=intent, entry_id=entry_id,
            score=90.0 if decision == "answer" else 50.0 if entry_id else None, case_number=case_number)
        if helpful is not None:
            await self.store.record_feedback(iid, helpful)
        if count:
            self.result.questions += 1
            self.result.decisions[decision] = self.result.decisions.get(decision, 0) + 1
            self.result.texts.append(text)
        else:
            self.result.baseline_questions += 1
        return iid

    async def handoff(self, at: float, text: str, reason: str, priority: str = "normal", *, claim_after: float | None,
                      category: str | None = None, department: str | None = None, resolve: str | None = None,
                      intent: str | None = None) -> int:
        citizen = self.citizen()
        self.clock.now = at
        case = await self.store.open_case(citizen, reason=reason, priority=priority, question=text, language="zh",
                                          category=category)
        await self.ask(at, text, "handoff", None, intent=intent, case_number=case.number, citizen=citizen)
        self.result.cases += 1
        if priority == "urgent":
            self.result.urgent += 1
        if claim_after is not None:
            self.clock.now = at + claim_after
            await self.store.claim(case.number, "duty1")
            if priority == "urgent" and claim_after > 300:
                self.result.urgent_late += 1
            if department:
                self.clock.now += 60
                await self.store.forward(case.number, "duty1", department, "需要部门核实")
                self.result.forwarded[department] = self.result.forwarded.get(department, 0) + 1
            if resolve is not None:
                self.clock.now += 120
                await self.store.enqueue(case.number, "telegram", citizen.chat_id, resolve, "duty1")
                await self.store.add_message(case.number, "citizen", "好的，谢谢，我的电话是13800001111")
                self.result.texts.append("好的，谢谢，我的电话是13800001111")
                await self.store.resolve(case.number, "duty1", f"已答复：{resolve[:10]}")
        elif priority == "urgent":
            self.result.urgent_late += 1  # never claimed: overdue
        return case.number


def _pick(rng: random.Random, ids: list[str]) -> str:
    """Pick an entry with a long-tailed popularity (Zipf-like)."""
    weights = [1 / (i + 1) for i in range(len(ids))]
    return rng.choices(ids, weights)[0]


async def seed_day(store, clock: ManualClock, faq: Faq, day: dt.date = DAY, questions: int = 200,
                   baseline_per_day: int = 60, rng_seed: int = 7) -> Seeded:
    """Seed `day` with about `questions` answered questions plus handoffs and gaps, and the 7 days before it."""
    rng = random.Random(rng_seed)
    seeder = Seeder(store, clock, faq, rng)
    ids = [e.id for e in faq.entries]
    rising, unhelpful = ids[min(5, len(ids) - 1)], ids[0]
    seeder.result.rising_entry, seeder.result.unhelpful_entry = rising, unhelpful
    hours = rng.choices(range(24), HOURLY, k=questions)
    verdicts = 0
    # The previous 7 days: ordinary traffic, the rising entry only rarely.
    for back in range(1, 8):
        earlier = day - dt.timedelta(days=back)
        for _ in range(baseline_per_day):
            entry = _pick(rng, [i for i in ids if i != rising])
            await seeder.ask(local(earlier, rng.choice(range(8, 20)), rng.randrange(60)), "旧问题", "answer", entry,
                             count=False)
        await seeder.ask(local(earlier, 10), "旧问题", "answer", rising, count=False)
    # The day itself: answers, suggestions, small talk, with the rising entry asked a lot.
    for n, hour in enumerate(hours):
        at = local(day, hour, rng.randrange(60), rng.randrange(60))
        roll = rng.random()
        entry = rising if n % 8 == 0 else _pick(rng, ids)
        question = faq.get(entry).questions[0]
        if roll < 0.72:
            helpful = None
            if entry == unhelpful:
                verdicts += 1
                helpful = verdicts % 3 != 0  # one in three answers of this entry does not help
            elif rng.random() < 0.25:
                helpful = rng.random() < 0.9
            await seeder.ask(at, question, "answer", entry, helpful=helpful)
        elif roll < 0.90:
            await seeder.ask(at, question[:-1] + "？", "suggest", entry)
        else:
            await seeder.ask(at, rng.choice(("你好", "谢谢", "再见")), rng.choice(("greeting", "thanks", "goodbye")),
                             None)
    # Unanswered questions: handed off as unmatched (most claimed within the limit).
    for wordings, times in UNANSWERED:
        for k in range(times):
            at = local(day, rng.choice((9, 10, 11, 14, 15, 16)), rng.randrange(60))
            await seeder.handoff(at, wordings[k % len(wordings)], "unmatched", claim_after=rng.choice((600, 1800)),
                                 resolve="已为您登记，稍后回复。" if k == 0 else None)
            seeder.result.unanswered += 1
    # Urgent, complaint and requested cases, some forwarded to departments.
    categories = [e.category for e in faq.entries if e.category] or [None]
    for k, claim_after in enumerate((90, 150, 240, 420, None)):
        await seeder.handoff(local(day, 8 + 3 * k, 17), "我发烧39度，呼吸困难", "urgent", "urgent",
                             claim_after=claim_after, intent="urgent", category=categories[0])
    for k in range(6):
        await seeder.handoff(local(day, 10 + k, 40), "我要投诉采样点排队太久", "complaint", "high",
                             claim_after=900 + 300 * k, intent="complaint", category=categories[-1],
                             department=("health", "community", "health")[k % 3] if k < 3 else None,
                             resolve="已转交相关部门处理。")
    for k in range(4):
        await seeder.handoff(local(day, 13 + k, 5), "我要找人工", "requested", claim_after=3000 + 1200 * k,
                             intent="human", category=categories[k % len(categories)])
    # An operator marks a resolved case "add to FAQ" without a draft: their reply is the draft answer.
    citizen = seeder.citizen()
    clock.now = local(day, 16, 30)
    case = await store.open_case(citizen, reason="unmatched", priority="normal", question="核酸采样点周日开门吗",
                                 language="zh", category="核酸检测")
    await seeder.ask(clock.now, "核酸采样点周日开门吗", "handoff", None, case_number=case.number, citizen=citizen)
    seeder.result.cases += 1
    clock.now += 200
    await store.claim(case.number, "duty2")
    await store.enqueue(case.number, "telegram", citizen.chat_id, "周日各采样点照常开放，时间为 8:00-17:00。", "duty2")
    await store.resolve(case.number, "duty2", "已答复")
    await store.mark_for_faq(case.number, "duty2")
    seeder.result.marked_case = case.number
    return seeder.result
