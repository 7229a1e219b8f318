"""`python bot.py run`: start-up validation (one sentence per problem, exit 2) and a real start against the fake API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi

from frontdesk.cli import main
from frontdesk.cli.run import read_config_file, startup_problems

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token"
GOOD = {"TELEGRAM_BOT_TOKEN": TOKEN, "OPERATOR_CHAT_ID": "-1001234567890", "OPERATOR_IDS": "9001,9002"}
FAQ = """\
version: 1
entries:
  - id: testing-sites
    category: 核酸检测
    questions:
      - 核酸检测点在哪里
      - Where can I get a PCR test?
    answer: {zh: 全区共有42个常态化核酸检测点。, en: There are 42 permanent testing sites in the district.}
"""


def test_good_settings_have_no_problems():
    assert startup_problems(GOOD) == []
    assert startup_problems({**GOOD, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot"}) == []
    assert startup_problems({"TELEGRAM_BOT_TOKEN": TOKEN}) == []  # no group: the console desk works the queue


@pytest.mark.parametrize(("changes", "sentence"), [
    ({"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN is not set"),
    ({"TELEGRAM_BOT_TOKEN": "'123:abc'"}, "does not look like a bot token"),
    ({"OPERATOR_CHAT_ID": "operators"}, "OPERATOR_CHAT_ID must be the operators' group's numeric chat id"),
    ({"OPERATOR_CHAT_ID": "12345"}, "which is negative"),
    ({"OPERATOR_IDS": "9001, alice"}, "'alice' is not one"),
    ({"OPERATOR_IDS": ""}, "OPERATOR_IDS is empty"),
    ({"TELEGRAM_API_BASE_URL": "127.0.0.1:8081/bot"}, "must be an http(s) URL"),
    ({"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081"}, "must end in /bot"),
])
def test_each_bad_setting_is_one_sentence(changes, sentence):
    problems = startup_problems({**GOOD, **changes})
    assert len(problems) == 1 and sentence in problems[0]


def test_webhook_options_are_checked():
    assert startup_problems(GOOD, {"url": "https://bot.example.org/hook", "port": 8443, "listen": "0.0.0.0"}) == []
    [problem] = startup_problems(GOOD, {"url": "http://bot.example.org/hook", "port": 8443})
    assert "https://" in problem
    [problem] = startup_problems(GOOD, {"url": "https://bot.example.org/hook", "port": 99999})
    assert "1 to 65535" in problem
    [problem] = startup_problems({**GOOD, "TELEGRAM_WEBHOOK_SECRET": "not secret!"},
                                 {"url": "https://bot.example.org/hook", "port": 443})
    assert "TELEGRAM_WEBHOOK_SECRET" in problem
    [problem] = startup_problems(GOOD, {"url": None, "port": 8443})
    assert "--webhook-url" in problem


def test_run_stops_with_exit_code_2_and_one_line_per_problem(monkeypatch, capsys):
    for key in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "OPERATOR_CHAT_ID", "OPERATOR_IDS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("OPERATOR_CHAT_ID", "ops")
    monkeypatch.setenv("OPERATOR_IDS", "x")
    assert main(["run"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("Cannot start: ") for line in lines)


def test_config_file_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    config = tmp_path / "frontdesk.env"
    config.write_text('# Telegram\nexport TELEGRAM_BOT_TOKEN="123:abc"\nOPERATOR_IDS=1,2\n\n', encoding="utf-8")
    assert read_config_file(config) == {"TELEGRAM_BOT_TOKEN": "123:abc", "OPERATOR_IDS": "1,2"}
    config.write_text("just words\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"frontdesk\.env:1"):
        read_config_file(config)


async def _bot_process(tmp_path, api: FakeBotApi, *, plain: bool = False, **env):
    faq = tmp_path / "faq.yaml"
    faq.write_text(FAQ, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "OPERATOR_", "FRONTDESK_"))}
    environ.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.base_url, **env)
    if plain:  # `python bot.py` with a token configured runs the bot; paths come from the environment
        environ.update(FRONTDESK_FAQ=str(faq), FRONTDESK_DB=str(tmp_path / "bot.sqlite3"))
        command = []
    else:
        command = ["run", "--faq", str(faq), "--db", str(tmp_path / "bot.sqlite3")]
    return await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bot.py"), "--settings", str(ROOT / "settings.yaml"), *command,
        cwd=tmp_path, env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("plain", [False, True], ids=["run", "plain"])
async def test_bot_py_run_starts_polls_answers_and_stops_cleanly(tmp_path, plain):
    async with FakeBotApi(TOKEN) as api:
        api.add_group(-1001234567890)
        process = await _bot_process(tmp_path, api, plain=plain, OPERATOR_CHAT_ID="-1001234567890",
                                     OPERATOR_IDS="9001")
        try:
            started = asyncio.ensure_future(api.wait_for("deleteWebhook", timeout=30))  # polling is starting
            exited = asyncio.ensure_future(process.wait())
            await asyncio.wait([started, exited], return_when=asyncio.FIRST_COMPLETED)
            assert not exited.done(), (await process.stderr.read()).decode()
            exited.cancel()
            await started
            api.send_text(FakeBotApi.user(1001), "核酸检测点在哪里")
            await api.wait_for("sendMessage", lambda c: "42个" in c.params["text"], timeout=10)
            assert len(api.calls_to("setMyCommands")) == 3
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
            _, err = await asyncio.wait_for(process.communicate(), 20)
        assert process.returncode == 0, err.decode()
        assert TOKEN not in err.decode()
        assert (tmp_path / "bot.sqlite3").exists()


async def test_an_unreachable_operators_group_stops_start_up_with_one_sentence(tmp_path):
    async with FakeBotApi(TOKEN) as api:  # the group was never registered: "chat not found"
        process = await _bot_process(tmp_path, api, OPERATOR_CHAT_ID="-100999", OPERATOR_IDS="9001")
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2, err.decode()
    assert err.decode().strip().splitlines()[-1].startswith("Cannot start: The bot cannot reach the operators' group")
