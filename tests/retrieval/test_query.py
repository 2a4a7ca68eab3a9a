from assistant.retrieval.query import ArticleRef, article_refs, expand, is_definition_question


def test_article_references_in_many_spellings():
    assert article_refs("What does Article 14 say?") == [ArticleRef(14)]
    assert article_refs("art. 2(a)") == [ArticleRef(2, "a")]
    assert article_refs("Art 40 (21)(b) please") == [ArticleRef(40, "21(b)")]
    assert article_refs("article 40, paragraph 21") == [ArticleRef(40, "21")]
    assert article_refs("articles 23 and 35") == [ArticleRef(23), ArticleRef(35)]
    assert [r.article for r in article_refs("Articles 7 to 11")] == [7, 8, 9, 10, 11]
    assert article_refs("Article 99") == [ArticleRef(99)]
    assert article_refs("Is hacking a crime?") == []


def test_glossary_expansion_adds_convention_terms():
    assert "illegal access" in expand("Is hacking a crime?")
    assert expand("Is sharing a crime?") == "Is sharing a crime?"


def test_definition_cues():
    assert is_definition_question("What counts as traffic data?")
    assert not is_definition_question("Can police order a provider to keep logs?")
