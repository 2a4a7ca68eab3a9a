from assistant.answering.followup import refers_back, resolve


def test_standalone_question_is_not_rewritten():
    f = resolve("When does the Convention enter into force?", [("Is hacking a crime?", "x")])
    assert not f.is_followup and f.resolved == "When does the Convention enter into force?"


def test_followup_borrows_previous_question_and_its_citations():
    history = [
        (
            "Can police make a provider hand over subscriber data?",
            "Each State Party shall ... [Art. 27(b)]",
        )
    ]
    f = resolve("And what safeguards apply to that?", history)
    assert f.is_followup
    assert "subscriber data" in f.context
    assert f.boost_labels == ["Art. 27(b)"]


def test_refers_back_ignores_this_convention():
    assert not refers_back("Does this Convention cover fraud committed online?")
    assert refers_back("What about extradition for it?")
