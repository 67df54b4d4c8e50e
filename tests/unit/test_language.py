import pytest

from feedback.language import normalise_persian, script_language, to_ascii_digits


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("سلام، سفارشم کجاست؟", "fa"),
        ("where is my order", "en"),
        ("سفارش 4829173 هنوز نرسیده", "fa"),
        ("my iPhone case سفارش", "en"),
        ("۴۸۲۹۱۷۳", None),
        ("😡😡😡", None),
        ("", None),
    ],
)
def test_language_by_script(text, language):
    assert script_language(text) == language


def test_the_three_spellings_of_one_verb_read_the_same():
    spellings = ["می\u200cخوام", "میخوام", "می خوام"]
    assert {normalise_persian(f"{s} سفارشم را لغو کنم") for s in spellings} == {"میخوام سفارشم را لغو کنم"}


def test_arabic_letters_marks_and_tatweel_become_persian():
    assert normalise_persian("كيك") == "کیک"
    assert normalise_persian("مدرسة") == "مدرسه"
    assert normalise_persian("خیـــلی") == "خیلی"
    assert normalise_persian("کِتاب") == "کتاب"
    assert normalise_persian("چرا؟") == "چرا?"


def test_persian_and_arabic_digits_become_ascii():
    assert to_ascii_digits("سفارش ۴۸۲۹۱۷۳") == "سفارش 4829173"
    assert to_ascii_digits("٩ از ١٠") == "9 از 10"
    assert normalise_persian("نمره ۹") == "نمره 9"


def test_english_text_is_left_as_typed():
    text = "I   want to talk to a person!"
    assert normalise_persian(text) == text
