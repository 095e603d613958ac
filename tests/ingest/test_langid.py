"""Languages the detector gets wrong, told by script or by commonest words (provenance/ingest/langid.py)."""
from __future__ import annotations

import pytest

from provenance.ingest.features import detect_languages
from provenance.ingest.langid import settle
from provenance.ingest.tokenize import normalize_texts

HINDI = ("भारत एक विशाल देश है। इसकी राजधानी नई दिल्ली है। यहाँ अनेक भाषाएँ बोली जाती हैं और लोग विभिन्न धर्मों का पालन करते हैं। "
         "हिंदी भारत की सबसे अधिक बोली जाने वाली भाषा है। देश में कई बड़े शहर हैं, जैसे मुंबई, कोलकाता और चेन्नई।")
MARATHI = ("महाराष्ट्र हे भारतातील एक राज्य आहे. मुंबई ही महाराष्ट्राची राजधानी आहे. मराठी ही या राज्याची अधिकृत भाषा आहे आणि ती "
           "कोट्यवधी लोक बोलतात. पुणे हे शिक्षणाचे माहेरघर म्हणून ओळखले जाते.")
NEPALI = "नेपाल दक्षिण एसियामा अवस्थित एक देश हो। यसको राजधानी काठमाडौं हो। नेपालमा धेरै भाषाहरू बोलिन्छन् र नेपाली भाषा सबैभन्दा बढी बोलिने भाषा हो।"


def lang_of(text: str) -> str:
    return detect_languages(normalize_texts([text]))[0][0]


@pytest.mark.parametrize("text, expected", [
    ("東京は日本の首都です。10時〜18時まで営業しています。", "ja"),  # the detector: "unknown" (too short for its profiles)
    ("Heading\n\n今日は天気がいいので散歩に行きます。", "ja"),
    ("Menu\n서울은 대한민국의 수도이며 가장 큰 도시입니다. 연락처", "ko"),
    ("北京是中华人民共和国的首都，也是全国的政治和文化中心。", "zh"),
    ("서울特別市는 大韓民國의 首都이다.", "ko"),  # Korean with hanja is Korean
])
def test_short_chinese_japanese_and_korean_pages_are_told_by_their_script(text, expected):
    assert lang_of(text) == expected


@pytest.mark.parametrize("text, expected", [(HINDI, "hi"), (MARATHI, "mr"), (NEPALI, "ne")])
def test_hindi_marathi_and_nepali_are_told_apart_by_their_commonest_words(text, expected):
    assert lang_of(text) == expected  # the detector read this Hindi as Nepali or Marathi at every length


def test_a_cjk_answer_for_text_in_another_script_is_not_kept():
    text = normalize_texts(["यह हिंदी में एक वेब पेज है। दिल्ली भारत की राजधानी है।"])[0]
    assert settle(text, "ko", 900) == ("hi", None)  # the detector's answer for it (no rank: its rank is of another answer)
    assert settle("ሰላም ለዓለም። ይህ የአማርኛ ገጽ ነው።", "zh", 1100) == ("unknown", None)  # Amharic: not among its languages


@pytest.mark.parametrize("text", [
    "宫崎骏的动画电影《龙猫》的日文原名是《となりのトトロ》，这部电影在中国也很受欢迎，很多人都看过。",
    "他在博客上写道：「ありがとう」，然后就离开了日本，回到了北京继续他的工作和生活。",
])
def test_chinese_quoting_a_few_japanese_words_stays_chinese(text):
    assert settle(text, "zh", 1050) == ("zh", 1050)
    for detector_said in ("zh", "ja", "unknown"):
        assert settle("这家店的招牌写着“いらっしゃいませ”，欢迎光临。", detector_said, 1100)[0] == "zh"


def test_kanji_heavy_japanese_the_detector_read_as_japanese_stays_japanese():
    text = "厚生労働省は新型感染症対策本部会議を開催し、水際対策強化方針を決定。入国者全員検査実施。"
    assert settle(text, "ja", 1166) == ("ja", 1166)
    assert settle("北京是中国的首都。", "ja", 1200) == ("zh", None)  # no kana at all: not Japanese
    assert settle("heading 東京は日本の首都です。10時〜18時まで営業しています。", "zh", 1000) == ("ja", None)  # what it said
    assert settle("毛虫が木の幹を這い上がってくるのを見て、子供たちは驚いた。", "zh", 1100) == ("ja", None)  # 這う is Japanese too


@pytest.mark.parametrize("text, lang, rank", [
    ("plain ascii text", "zh", 1200),  # only non-ASCII text is looked at again
    ("tokyo (東京) is the capital of japan and one of the largest cities in the world.", "en", 632),  # not a CJK or Devanagari answer
    ("a page about 東京 with a few words of english around it and more words", "unknown", 0),  # mostly not CJK
    ("le château est très beau en été", "fr", 700),
])
def test_other_answers_are_left_as_the_detector_gave_them(text, lang, rank):
    assert settle(text, lang, rank) == (lang, rank)


KOREAN_HELP = ("--ignore-case 파일/디렉터리 검색시 대소문자 무시 참고: printf(1)는 옵션과 비슷한 문자열을 출력하는데 그 어떤 문제가 "
               "없는 선호 대안입니다. HAL (Hardware Abstraction Layer)에 의해 검색된 로컬 프린터.")
CHINESE_HELP = ("-r, --repository REPOSITORY 在 REPOSITORY 库中改变密码 分区表不支持ALTER TABLE / ADD CONSTRAINT USING INDEX "
                "如果文件被数据库用户所拥有，它必须具有权限 u=rw (0600) 或者更低")


@pytest.mark.parametrize("text, detector_said, expected", [(KOREAN_HELP, ("is", 649), "ko"), (CHINESE_HELP, ("lt", 660), "zh"),
                                                           ("ファイル file.txt を開けません: --force で上書き", ("cs", 700), "ja")])
def test_cjk_text_among_latin_names_and_options_is_told_by_its_script_whatever_latin_language_the_detector_said(
        text, detector_said, expected):
    # the detector read these (real message catalogs' help texts) as Icelandic, Lithuanian and Czech: their few Latin
    # words outweigh the CJK characters it has no profile trigrams for; the script check ran only for CJK answers
    (normalized,) = normalize_texts([text])
    assert settle(normalized, *detector_said) == (expected, None)


RUSSIAN = "Я не знаю, что сказать, но это очень интересная книга о жизни. "
BULGARIAN = "Днес сутринта отидохме в парка и дълго се разхождахме покрай реката. "
MACEDONIAN = "Веќе е доцна, но ѓаволот не спие и мечката ѕирка од шумата покрај реката. "
SERBIAN = "Ђак је отишао код лекара јер га је бољела глава, а ћерка је остала код куће. "
UKRAINIAN = "Сьогодні вранці ми пішли в парк і довго гуляли вздовж річки, де було дуже гарно. "
BELARUSIAN = "Сёння раніцай мы пайшлі ў парк і доўга гулялі ўздоўж ракі. "


@pytest.mark.parametrize("text, expected", [(RUSSIAN * 3, "ru"), (BULGARIAN * 3, "bg"), (BULGARIAN, "bg"), (MACEDONIAN * 2, "mk"),
                                            (SERBIAN, "sr"), (SERBIAN * 3, "sr"), (UKRAINIAN, "uk"), (BELARUSIAN, "be")],
                         ids=["ru-x3", "bg-x3", "bg", "mk-x2", "sr", "sr-x3", "uk", "be"])
def test_the_slavic_languages_written_in_cyrillic_are_told_by_the_letters_only_their_alphabet_has(text, expected):
    assert lang_of(text) == expected


def test_the_letters_decide_only_for_one_slavic_language_of_mostly_cyrillic_text():
    from resiliparse.parse.lang import detect_fast

    wrong = [t for t in (RUSSIAN * 3, BULGARIAN * 3, BULGARIAN) if detect_fast(normalize_texts([t])[0])[0] != lang_of(t)]
    assert len(wrong) == 3  # the detector's own answers for these (uk, mk, ru), which the letters overrule
    mixed = normalize_texts([RUSSIAN + UKRAINIAN])[0]  # ы and є: no one alphabet holds both; the detector's stays
    assert settle(mixed, "uk", 900) == ("uk", 900)
    kazakh = normalize_texts(["Қазақстан Орталық Азиядағы мемлекет, оның астанасы Астана қаласы болып табылады. "])[0]
    assert settle(kazakh, "ru", 1000) == ("ru", 1000)  # another Cyrillic alphabet (қ, ғ, ы): left to the detector
    latin = normalize_texts(["Ovo je tekst na srpskom jeziku pisan latinicom, sa par reči: мир."])[0]
    assert settle(latin, "sr", 900) == ("sr", 900)  # mostly Latin: a few Cyrillic letters tell nothing


@pytest.mark.parametrize("text", [
    "Объявление для жильцов подъезда: в субботу с 9 до 18 часов отключат горячую воду.",  # Russian's ъ: before е ё ю я only
    "Фото: плакат с надписью «Слава Україні» на площади в центре города, 2014 год",  # one quoted word of Ukrainian
], ids=["hard-sign", "quote"])
def test_a_russian_answer_stands_against_a_hard_sign_or_a_quoted_word(text):
    from resiliparse.parse.lang import detect_fast

    sample = normalize_texts([text])[0]
    assert detect_fast(sample)[0] == "ru" and lang_of(text) == "ru"  # (they were read as Bulgarian and Ukrainian)
