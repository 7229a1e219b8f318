"""Settings: settings.yaml with built-in defaults, overridden by environment variables."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from frontdesk.yamlfile import DataFileError, Node, Problem, read_yaml

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class MatchingSettings:
    """Thresholds that turn a match score into answer / suggest / handoff."""

    answer: float = 45.0
    suggest: float = 25.0
    max_suggestions: int = 3
    margin: float = 8.0  # to answer, the best entry must also lead the runner-up by this many points
    runner_up_share: float = 0.7  # ...and the runner-up may score at most this share of the best


@dataclass(frozen=True)
class QueueSettings:
    """Time limits and retention rules of the human queue."""

    claim_limits: dict[str, float] = field(
        default_factory=lambda: {"urgent": 300.0, "high": 1800.0, "normal": 7200.0}
    )
    reopen_days: float = 3.0
    auto_close_days: float = 7.0
    supervisor: str | None = None


@dataclass(frozen=True)
class Operator:
    """A person allowed to act on cases."""

    id: str
    name: str


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the embedded defaults."""

    faq_path: Path = ROOT / "faq.yaml"
    messages_paths: tuple[Path, ...] = (ROOT / "messages.yaml",)
    intents_path: Path = ROOT / "intents" / "patterns.yaml"
    db_path: Path = Path("frontdesk.sqlite3")
    matching: MatchingSettings = MatchingSettings()
    queue: QueueSettings = QueueSettings()
    operators: tuple[Operator, ...] = ()
    departments: dict[str, str] = field(default_factory=dict)
    hotline_phone: str = "12345"
    hotline_hours: str = "08:00-22:00"
    operator_language: str = "zh"
    timezone: str = "Asia/Shanghai"
    telegram_token: str | None = None
    telegram_base_url: str | None = None
    operator_chat_id: str | None = None

    def tzinfo(self) -> dt.tzinfo:
        """Return the hotline's time zone (UTC+08:00 when the name is unknown to this machine)."""
        try:
            return ZoneInfo(self.timezone or "Asia/Shanghai")
        except (ZoneInfoNotFoundError, ValueError):
            return dt.timezone(dt.timedelta(hours=8), "UTC+08:00")

    def today(self) -> dt.date:
        """Return today's date in the hotline's time zone."""
        return dt.datetime.now(self.tzinfo()).date()

    def operator(self, operator_id: str) -> Operator | None:
        """Return the configured operator with this id, or None."""
        return next((op for op in self.operators if op.id == operator_id), None)


def _number(node: Node | None, default: float, file: str, where: str, problems: list[Problem]) -> float:
    if node is None:
        return default
    if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
        problems.append(Problem(file, node.line, where, f"must be a number, got {node.value!r}"))
        return default
    return float(node.value)


def _choice(node: Node | None, allowed: tuple[str, ...], default: str, file: str, problems: list[Problem]) -> str:
    if node is None:
        return default
    if node.value not in allowed:
        problems.append(Problem(file, node.line, "operator_language", f"must be one of {', '.join(allowed)}"))
        return default
    return str(node.value)


def _section(top: dict, name: str) -> dict:
    node = top.get(name)
    return node.value if node is not None and isinstance(node.value, dict) else {}


def load_settings(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read settings.yaml (if present) and the environment into Settings."""
    environ = os.environ if environ is None else environ
    path = Path(path) if path else Path(environ.get("FRONTDESK_SETTINGS", ROOT / "settings.yaml"))
    problems: list[Problem] = []
    top: dict = {}
    file = str(path)
    if path.exists():
        root = read_yaml(path)
        top = root.value if isinstance(root.value, dict) else {}
    m = _section(top, "matching")
    matching = MatchingSettings(
        answer=_number(m.get("answer"), MatchingSettings.answer, file, "matching.answer", problems),
        suggest=_number(m.get("suggest"), MatchingSettings.suggest, file, "matching.suggest", problems),
        max_suggestions=int(_number(m.get("max_suggestions"), 3, file, "matching.max_suggestions", problems)),
        margin=_number(m.get("margin"), MatchingSettings.margin, file, "matching.margin", problems),
        runner_up_share=_number(m.get("runner_up_share"), MatchingSettings.runner_up_share, file,
                                "matching.runner_up_share", problems),
    )
    if matching.suggest > matching.answer:
        problems.append(Problem(file, None, "matching.suggest", "must not be above matching.answer"))
    if not 0.0 < matching.runner_up_share <= 1.0:
        problems.append(Problem(file, None, "matching.runner_up_share", "must be above 0 and at most 1"))
    q = _section(top, "queue")
    limits_node = q.get("claim_limits")
    limits = dict(QueueSettings().claim_limits)
    if limits_node is not None and isinstance(limits_node.value, dict):
        for priority, node in limits_node.value.items():
            where = f"queue.claim_limits.{priority}"
            limits[priority] = _number(node, limits.get(priority, 7200.0), file, where, problems)
    supervisor = q.get("supervisor")
    queue = QueueSettings(
        claim_limits=limits,
        reopen_days=_number(q.get("reopen_days"), 3.0, file, "queue.reopen_days", problems),
        auto_close_days=_number(q.get("auto_close_days"), 7.0, file, "queue.auto_close_days", problems),
        supervisor=str(supervisor.value) if supervisor is not None and supervisor.value is not None else None,
    )
    operators: dict[str, Operator] = {}
    ops_node = top.get("operators")
    for i, item in enumerate(ops_node.value if ops_node is not None and isinstance(ops_node.value, list) else []):
        fields = item.value if isinstance(item.value, dict) else {}
        op_id = fields.get("id")
        if op_id is None or op_id.value in (None, ""):
            problems.append(Problem(file, item.line, f"operators[{i}].id", "missing"))
            continue
        name = fields.get("name")
        operators[str(op_id.value)] = Operator(str(op_id.value), str(name.value) if name else str(op_id.value))
    for raw in environ.get("OPERATOR_IDS", "").split(","):
        op_id = raw.strip()
        if op_id and op_id not in operators:
            operators[op_id] = Operator(op_id, op_id)
    departments = {k: str(v.value) for k, v in _section(top, "departments").items()}
    hotline = _section(top, "hotline")
    if problems:
        raise DataFileError(problems)
    defaults = Settings()
    return Settings(
        faq_path=Path(environ.get("FRONTDESK_FAQ", defaults.faq_path)),
        messages_paths=defaults.messages_paths,
        intents_path=defaults.intents_path,
        db_path=Path(environ.get("FRONTDESK_DB", defaults.db_path)),
        matching=matching,
        queue=queue,
        operators=tuple(operators.values()),
        departments=departments,
        hotline_phone=str(hotline["phone"].value) if "phone" in hotline else defaults.hotline_phone,
        hotline_hours=str(hotline["hours"].value) if "hours" in hotline else defaults.hotline_hours,
        operator_language=_choice(top.get("operator_language"), ("zh", "en"), "zh", file, problems),
        timezone=str(top["timezone"].value) if "timezone" in top else defaults.timezone,
        telegram_token=environ.get("TELEGRAM_BOT_TOKEN") or None,
        telegram_base_url=environ.get("TELEGRAM_API_BASE_URL") or None,
        operator_chat_id=environ.get("OPERATOR_CHAT_ID") or None,
    )
