import pytest

from assistant.labels import article_label, label_covers, labels_in, parse_article_label


@pytest.mark.parametrize(
    ("article", "paragraph", "label"),
    [
        (27, None, "Art. 27"),
        (27, "b", "Art. 27(b)"),
        (40, "21(a)", "Art. 40(21)(a)"),
        (65, "1", "Art. 65(1)"),
    ],
)
def test_article_label_round_trip(article, paragraph, label):
    assert article_label(article, paragraph) == label
    assert parse_article_label(label) == (article, paragraph)


def test_labels_in_answer_text():
    text = "Each State Party shall act [Art. 27(b)]. See also [Art. 24(1); Res. para. 2]."
    assert labels_in(text) == ["Art. 27(b)", "Art. 24(1)", "Res. para. 2"]


def test_label_covers_sub_provisions_only():
    assert label_covers("Art. 40(21)", "Art. 40(21)(a)")
    assert not label_covers("Art. 4", "Art. 40(21)")
    assert not parse_article_label("Article 27")
