"""Normalizer: Unicode forms, đ, case, punctuation, emoji, abbreviations."""

import unicodedata

import pytest

from faq.normalize import load_abbreviations, normalize, strip_diacritics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Quên mật khẩu VNeID", "quen mat khau vneid"),
        ("ĐĂNG KÝ ĐỊNH DANH", "dang ky dinh danh"),
        ("đường", "duong"),
        ("Ngày 10/10 là gì???", "ngay 10 10 la gi"),
        ("  nhiều   khoảng   trắng  ", "nhieu khoang trang"),
        ("cài VNeID 🙏🙏 giúp mình!!", "cai vneid giup minh"),
        ("😀👍", ""),
        ("", ""),
        ("mức2", "muc 2"),
        ("ko nhận đc mã OTP", "khong nhan duoc ma otp"),
        ("k biết", "khong biet"),
        ("quên mk", "quen mat khau"),
        ("số cccd", "so can cuoc cong dan"),
        ("nộp hồ sơ dvc", "nop ho so dich vu cong"),
        ("cđs là gì", "chuyen doi so la gi"),
        ("cds la gi", "chuyen doi so la gi"),
        ("đk tài khoản", "dang ky tai khoan"),
        ("sđt của tôi", "so dien thoai cua toi"),
        ("thẻ bhyt", "the bao hiem y te"),
        ("lv2", "muc 2"),
        ("SELECT * FROM faq; --", "select from faq"),
    ],
)
def test_normalize_table(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_nfc_and_nfd_inputs_normalize_the_same() -> None:
    text = "Định danh điện tử mức độ hai, quên mật khẩu"
    nfc = unicodedata.normalize("NFC", text)
    nfd = unicodedata.normalize("NFD", text)
    assert nfc != nfd
    assert normalize(nfc) == normalize(nfd) == "dinh danh dien tu muc do hai quen mat khau"


def test_strip_diacritics_keeps_punctuation_and_lowercases() -> None:
    assert strip_diacritics("Đà Nẵng, Việt Nam!") == "da nang, viet nam!"


def test_abbreviation_dictionary_is_loaded_once() -> None:
    load_abbreviations.cache_clear()
    normalize("ko dc")
    normalize("mk cccd")
    info = load_abbreviations.cache_info()
    assert info.misses == 1
    assert info.hits >= 1


def test_abbreviation_keys_are_normalized() -> None:
    table = load_abbreviations()
    assert table["dc"] == ("duoc",)  # "đc" and "dc" are one key
    assert all(key == normalize(key) or key in table for key in table)


def test_long_text_is_fine() -> None:
    assert normalize("a" * 5000) == "a" * 5000


def test_word_groups_are_joined_into_units() -> None:
    from faq.normalize import join_phrases, tokens

    assert join_phrases(tokens("Tài khoản bị khóa")) == ["tai", "khoan", "bikhoa"]
    assert join_phrases(tokens("khóa tài khoản")) == ["khoa", "tai", "khoan"]
    assert join_phrases(tokens("đổi sđt")) == join_phrases(tokens("đổi số điện thoại"))
    assert join_phrases(tokens("đổi điện thoại")) == ["doi", "dien", "thoai"]
    # Longest group first: "bị tạm khóa" is one unit, not "bị" + "tạm khóa".
    assert join_phrases(tokens("bị tạm khóa")) == ["bikhoa"]


def test_ways_of_asking_are_dropped() -> None:
    from faq.normalize import join_phrases, tokens

    assert join_phrases(tokens("Xã hội số là gì, nói dễ hiểu giúp tôi")) == join_phrases(
        tokens("Xã hội số là gì")
    )
