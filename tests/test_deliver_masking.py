import duckdb
import pytest

from hedui.deliver.masking import install_masking_macros, mask_id, mask_ids_in_text


@pytest.fixture()
def con():
    c = duckdb.connect()
    install_masking_macros(c)
    return c


@pytest.mark.parametrize("value, expected", [
    ("43048219900101123X", "430482********123X"),
    ("430482199001011234", "430482********1234"),
    (" 43048219900101123X ", "430482********123X"),   # surrounding spaces dropped
    ("430482900101123", "430482*****1123"),            # 15-digit first-generation ID
    ("43048219900101123X12", "430482**********3X12"),  # disability certificate number (ID + 2 digits)
    ("12345678901", "123456*8901"),                    # 11 characters: one hidden
    ("1234567890", "**********"),                      # 10 or fewer: nothing can be shown safely
    ("123", "***"),
    ("", ""),
    (None, None),
])
def test_mask_id_keeps_first_six_and_last_four(value, expected):
    assert mask_id(value) == expected


def test_mask_id_accepts_non_strings():
    assert mask_id(430482199001011234) == "430482********1234"


@pytest.mark.parametrize("value", [
    "43048219900101123X", "430482199001011234", " 43048219900101123X ", "430482900101123",
    "12345678901", "1234567890", "123", "", None,
])
def test_sql_macro_agrees_with_python(con, value):
    assert con.execute("select mask_id(?)", [value]).fetchone()[0] == mask_id(value)


def test_sql_macro_is_set_based(con):
    rows = con.execute("select mask_id(id) from (values ('43048219900101123X'), (null)) t(id) order by 1").fetchall()
    assert rows == [("430482********123X",), (None,)]


def test_ids_inside_text_are_masked_and_other_numbers_left_alone(con):
    text = "车主证件 43048219900101123X，证号43048219900101123412，流水号JS2026031500011，金额 6900.00"
    for masked in (mask_ids_in_text(text), con.execute("select mask_ids_in_text(?)", [text]).fetchone()[0]):
        assert "43048219900101123X" not in masked
        assert "4304821990010112341" not in masked
        assert "430482********123X" in masked
        assert "JS2026031500011" in masked and "6900.00" in masked
    assert mask_ids_in_text(None) is None


def test_a_record_number_ending_in_eighteen_digits_after_a_letter_is_not_taken_for_an_id(con):
    """A settlement's 结算流水号 is what a caseworker quotes to the insurance office: left whole, while an ID
    after a Chinese word, a space or punctuation is still masked."""
    text = "结算流水号：Y202511210000022509，备注：身份证430482199001011234，（430482199001011234）"
    for masked in (mask_ids_in_text(text), con.execute("select mask_ids_in_text(?)", [text]).fetchone()[0]):
        assert "Y202511210000022509" in masked
        assert "430482199001011234" not in masked
        assert masked.count("430482********1234") == 2
