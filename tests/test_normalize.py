"""Normalising citizen text (width, case, traditional Chinese, fillers, synonyms) and word segmentation."""

from __future__ import annotations

import jieba
import pytest

from frontdesk.yamlfile import DataFileError, parse_yaml
from intents.normalize import Synonyms, merge_synonyms, normalize, parse_lexicon, strip_fillers
from intents.segment import Homophones, Segmenter, char_grams, stem, syllable


@pytest.mark.parametrize(("text", "expected"), [
    ("ＰＣＲ　ｔｅｓｔ１２３", "pcr test123"),          # full width letters, digits and space
    ("Health CODE", "health code"),                  # case
    ("健康碼變黃了，怎麼辦？", "健康码变黄了 怎么办"),     # traditional -> simplified, punctuation -> space
    ("  核酸…检测!!  ", "核酸 检测"),
])
def test_normalize_width_case_traditional_punctuation(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("请问健康码怎么申请啊", "健康码怎么申请"),
    ("你好，我想问一下核酸在哪做呢？", "核酸在哪做"),
    ("麻烦问下，隔离几天呀", "隔离几天"),
    ("可以打疫苗吗", "可以打疫苗"),
    ("Hi, please tell me where the clinic is", "tell me where the clinic is"),
    ("hello", ""),
])
def test_strip_fillers(text, expected):
    assert strip_fillers(normalize(text)) == expected


def test_strip_fillers_keeps_particles_inside_words():
    assert "吗啡" in strip_fillers(normalize("吗啡是什么"))
    assert "hippie" in strip_fillers(normalize("hippie"))  # "hi" only as a whole word


def test_synonyms_longest_variant_first_and_both_ways_equal():
    synonyms = Synonyms({
        "采样点": ["核酸检测点", "检测点"], "核酸检测": ["核酸", "做核酸"], "口罩": ["mask", "face mask"],
    })
    assert synonyms.apply(normalize("核酸检测点在哪")) == "采样点在哪"
    assert synonyms.apply(normalize("去哪做核酸")) == "去哪核酸检测"
    assert synonyms.apply(normalize("Do I need a FACE MASK?")) == "do i need a 口罩"
    assert synonyms.apply(normalize("unmask")) == "unmask"          # English variants match whole words only
    assert synonyms.apply(normalize("没有mask可以吗")) == "没有口罩可以吗"  # ...but Chinese next to them is a boundary
    assert synonyms.terms() == {"采样点", "核酸检测", "口罩"}


def test_lexicon_errors_name_line_and_field():
    text = "version: 1\nen:\n  stop_words: [a, the, on]\n  fillers: [please, [nested]]\n"
    with pytest.raises(DataFileError) as caught:
        parse_lexicon(parse_yaml(text, "lexicon.yaml"), "lexicon.yaml")
    message = str(caught.value)
    assert "lexicon.yaml:3: en.stop_words[2]" in message and "quote it" in message  # YAML reads `on` as true
    assert "lexicon.yaml:4: en.fillers[1]" in message


def test_segmenter_keeps_faq_terms_whole_and_stays_private():
    plain = Segmenter()
    taught = Segmenter(["门磁"])
    assert "门磁" not in plain.words("门磁响了怎么办")
    assert "门磁" in taught.words("门磁响了怎么办")
    assert "门磁" not in Segmenter().words("门磁响了怎么办")  # teaching one segmenter changes no other
    assert "门磁" not in jieba.dt.FREQ                      # nor jieba's global dictionary


def test_segmenter_learns_only_new_words():
    segmenter = Segmenter(new_words=["封控区", "保存多久"])
    assert "封控区" in segmenter.words("封控区怎么买菜")          # made of single characters: a new word
    assert segmenter.words("保存多久") == ["保存", "多久"]          # made of known words: left alone


def test_segmenter_splits_scripts_and_is_quiet(capfd):
    words = Segmenter().words("48小时核酸 hpv疫苗")
    assert words[:2] == ["48", "小时"] and "hpv" in words and "疫苗" in words
    captured = capfd.readouterr()
    assert "prefix dict" not in captured.err + captured.out


def test_english_stems_join_word_forms():
    assert stem("spreads") == stem("spreading") == stem("spread")
    assert stem("infected") == stem("infection") == stem("infect")
    assert stem("viruses") == stem("virus")


def test_char_grams_fall_back_on_typos():
    right, typo = set(char_grams("核酸检测")), set(char_grams("合酸检测"))
    assert right & typo == {"酸检", "检测"}
    assert char_grams("码") == ["码"]


def test_lexicon_reads_general_synonyms_and_names_bad_ones():
    text = "version: 1\nen:\n  synonyms:\n    child: [Kids, children]\n    mask: [face mask, [nested]]\n"
    with pytest.raises(DataFileError) as caught:
        parse_lexicon(parse_yaml(text, "lexicon.yaml"), "lexicon.yaml")
    assert "lexicon.yaml:5: en.synonyms.mask[1]" in str(caught.value)
    good = parse_lexicon(parse_yaml(text.replace(", [nested]", ""), "lexicon.yaml"), "lexicon.yaml")
    assert good.synonyms == {"child": ("kids", "children"), "mask": ("face mask",)}


def test_general_synonyms_join_the_faq_group_they_touch_and_never_override_it():
    own = {"口罩": ["mask", "face mask"], "疫苗接种": ["vaccination"], "加强针": ["booster"]}
    general = {"mask": ["masks", "face covering"], "child": ["kids", "children"],
               "vaccine": ["vaccination", "shot", "booster"]}
    merged = merge_synonyms(own, general)
    assert set(merged["口罩"]) == {"mask", "face mask", "masks", "face covering"}  # joined, FAQ term canonical
    assert set(merged["疫苗接种"]) == {"vaccination", "vaccine", "shot"}            # joined through a wording
    assert merged["加强针"] == ["booster"]                                          # the FAQ's meaning is kept
    assert merged["child"] == ["kids", "children"]                                 # an untouched group stays
    synonyms = Synonyms(merged)
    assert synonyms.apply("do kids need a face covering") == "do child need a 口罩"
    assert synonyms.found("do kids need a face covering") == ["kids", "face covering"]


def test_syllable_is_toneless_pinyin_of_the_first_reading():
    assert [syllable(ch) for ch in "核合绿女"] == ["he", "he", "lv", "nv"]
    assert syllable("a") == syllable("，") == ""


@pytest.fixture(scope="module")
def homophones() -> Homophones:
    words = ["核酸", "检测", "隔离", "密接", "健康码", "哪个", "反应", "智能", "手机"]
    return Homophones(words, Segmenter(words), stop_words=["那个"])


@pytest.mark.parametrize(("typo", "fixed"), [
    ("合酸检测", "核酸检测"),    # two characters left single by the segmenter
    ("隔里几天", "隔离几天"),
    ("蜜接要隔离吗", "密接要隔离吗"),
    ("核算多久出结果", "核酸多久出结果"),  # a rare real word that sounds like an FAQ word
])
def test_homophone_typos_of_faq_words_are_repaired(homophones, typo, fixed):
    assert homophones.correct(typo) == fixed


@pytest.mark.parametrize("text", [
    "那个码是什么",      # a common word (and a stop word) that sounds like an FAQ word stays
    "我有反映过",        # a common real word stays
    "过敏体质能打疫苗吗",  # 质能 sounds like no FAQ word's pair without breaking 体质
    "健康码上显示不对",    # 码上 would become 马上 only by breaking the FAQ word 健康码
    "核酸检测 hello",
])
def test_homophones_leave_right_text_alone(homophones, text):
    assert homophones.correct(text) == text
