from assistant.answering.citations import check
from assistant.models import Passage


def _p(label, text="Each State Party shall adopt measures.", article=27, paragraph="b"):
    return Passage(
        id=label,
        text=text,
        label=label,
        source="convention",
        document="C",
        article=article,
        paragraph=paragraph,
        title="T",
        chapter=4,
        chapter_title="Procedural measures",
        score=1.0,
    )


def test_invented_labels_are_removed_and_reported():
    passages = [_p("Art. 27(b)")]
    checked = check(
        "Providers must hand over data [Art. 27(b)]. Hacking back is allowed [Art. 99].", passages
    )
    assert checked.invented == ["Art. 99"]
    assert "[Art. 99]" not in checked.text
    assert [c.label for c in checked.citations] == ["Art. 27(b)"]
    assert checked.citations[0].quote == passages[0].text


def test_multiple_labels_in_one_bracket_and_plain_brackets_kept():
    passages = [_p("Art. 27(b)"), _p("Art. 24(1)", article=24, paragraph="1")]
    checked = check("Yes [Art. 27(b); Art. 24(1); Art. 70] (see [note]).", passages)
    assert "[Art. 27(b); Art. 24(1)]" in checked.text
    assert "[note]" in checked.text
    assert checked.invented == ["Art. 70"]
