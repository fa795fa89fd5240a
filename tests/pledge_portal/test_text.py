"""Values quoted back in messages are cut to a bounded length."""

from pledge_portal.core.text import quote, quoted_list


def test_a_short_value_is_quoted_whole():
    assert quote("SW123") == "SW123"
    assert quote(38.5) == "38.5"
    assert quote("x" * 50) == "x" * 50


def test_a_long_value_is_cut_to_the_limit_with_an_ellipsis():
    assert quote("x" * 32_767) == "x" * 49 + "…"
    assert len(quote("y" * 1000, limit=20)) == 20
    assert quote("word " * 20, limit=11) == "word word…"  # no space left before the ellipsis


def test_line_breaks_stay_on_one_line():
    assert quote("one\r\ntwo\nthree\tfour") == "one two three four"


def test_a_number_too_long_to_print_is_described():
    assert quote(int("9" * 4000) * 10**1000) == "(a number too long to show)"


def test_a_list_shows_at_most_ten_values_then_how_many_more():
    assert quoted_list(["a", "b"]) == "“a”, “b”"
    assert quoted_list([f"h{n}" for n in range(16_384)]).endswith("“h9” and 16,374 more")
