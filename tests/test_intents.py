"""The intent layer: urgent, human, complaint, greeting, thanks and goodbye, in Chinese and English."""

from __future__ import annotations

import pytest

from frontdesk.yamlfile import DataFileError
from intents.classify import load_intents
from intents.language import detect_language


@pytest.fixture(scope="module")
def classifier(request):
    from pathlib import Path

    return load_intents(Path(request.config.rootpath) / "intents" / "patterns.yaml")


@pytest.mark.parametrize(("text", "intent"), [
    ("我发烧了，呼吸困难", "urgent"),
    ("救命！有人晕倒了", "urgent"),
    ("紧急：家里着火了", "urgent"),
    ("I have a fever and chest pain", "urgent"),
    ("This is urgent", "urgent"),
    ("我要转人工", "human"),
    ("找客服", "human"),
    ("I want to talk to a real person", "human"),
    ("/human", "human"),
    ("我要投诉这个检测点的工作人员", "complaint"),
    ("我要举报小区有人不戴口罩聚集", "complaint"),
    ("I want to complain about the quarantine hotel", "complaint"),
    ("你好", "greeting"),
    ("您好，在吗？", "greeting"),
    ("Hello!", "greeting"),
    ("谢谢！", "thanks"),
    ("好的谢谢", "thanks"),
    ("Thank you so much", "thanks"),
    ("再见", "goodbye"),
    ("bye", "goodbye"),
    ("緊急！我被困在高速上", "urgent"),  # traditional characters
    ("孩子高烧40度昏迷了，发热门诊在哪", "urgent"),  # the clinic hides only its own 发热, not 高烧 or 昏迷
    ("My dad passed out and can't breathe, where is the fever clinic?", "urgent"),
    ("我是不是发烧了，38.5度，浑身没力气", "urgent"),  # 是不是 asks, it does not negate
    ("I can not breathe", "urgent"),
    ("别用人工智能回答我，我要人工", "human"),
    ("我要投诉！投诉电话一直打不通", "complaint"),
])
def test_recognises(classifier, text, intent):
    found = classifier.classify(text)
    assert found is not None, text
    assert found.name == intent


@pytest.mark.parametrize("text", [
    "健康码变黄了怎么办",
    "你好，请问健康码变黄了怎么办",  # a greeting before a real question goes to the FAQ
    "我没有发烧，为什么还要隔离",  # negated symptom
    "我没有任何发烧症状，想问核酸检测点在哪",  # negated across 任何
    "I don't have a fever, where can I get a PCR test?",
    "I do not have a fever, just need a test certificate",
    "What is the emergency number?",
    "紧急联系人怎么填",
    "I'm dying to know when the lockdown ends",
    "My travel agent says I need a PCR test",
    "发热门诊在哪里",  # the clinic, not a symptom
    "怎么投诉",  # asking how to complain is an FAQ question
    "人工智能是什么",
    "hi, where can I get tested?",
    "帮我订一张机票",
    "",
])
def test_leaves_to_the_faq(classifier, text):
    assert classifier.classify(text) is None


def test_urgent_is_urgent_priority_and_complaint_has_category(classifier):
    assert classifier.classify("胸痛得厉害").priority == "urgent"
    complaint = classifier.classify("我要投诉")
    assert complaint.priority == "high" and complaint.category


def test_bad_pattern_file_names_line_and_field(tmp_path):
    path = tmp_path / "patterns.yaml"
    text = "version: 1\nintents:\n  urgent:\n    zh: [发烧]\n  shouting:\n    zh: [啊]\n  human:\n    fr: [x]\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_intents(path)
    text = str(info.value)
    assert "patterns.yaml:5: intents.shouting: unknown intent" in text
    assert "patterns.yaml:8: intents.human.fr: unknown field or language key" in text


@pytest.mark.parametrize(("text", "lang"), [
    ("健康码变黄了怎么办", "zh"),
    ("健康碼變黃了", "zh"),
    ("我的health code变黄了", "zh"),
    ("My health code is yellow, what do I do?", "en"),
    ("123", "zh"),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_an_emergency_at_the_end_of_a_long_message_is_urgent(classifier):
    from frontdesk.faq import parse_faq
    from frontdesk.settings import MatchingSettings
    from frontdesk.yamlfile import parse_yaml
    from intents.matching import FaqMatcher
    from intents.understand import MAX_MATCH_CHARS, understand

    faq = parse_faq(parse_yaml("version: 1\nentries:\n  - id: a\n    questions: [隔离要几天]\n    answer: 7天。\n",
                               "faq.yaml"), "faq.yaml")
    story = "我们一家是上个月从外地回来的，按要求做了核酸，也在社区报备过，" * 20
    assert len(story) > MAX_MATCH_CHARS
    seen = understand(story + "现在我父亲突然呼吸困难、胸痛", classifier, FaqMatcher(faq), MatchingSettings())
    assert seen.intent is not None and seen.intent.name == "urgent"
