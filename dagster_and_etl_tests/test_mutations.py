"""The catalogue of learner mistakes, applied one by one: grading must catch each.

Slow (each entry grades a scratch copy of the repository), so it runs only when
asked (CI does, on every change):

    python -m pytest dagster_and_etl_tests/test_mutations.py -m mutation -n 2 --dist load

(`--dist load` spreads the entries over the workers; the default `loadfile` would put
them all on one.)
"""

from __future__ import annotations

import pytest

from dagster_and_etl.course import settings
from dagster_and_etl_tests.mistakes import catalogue
from dagster_and_etl_tests.mistakes.runner import grade

MISTAKES, ALTERNATIVES = catalogue()


@pytest.mark.mutation
@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_grading_catches_the_mistake(mistake):
    verdict = grade(mistake)
    assert verdict.caught, (
        f"grading lesson {mistake.lesson} does not catch this mistake in section "
        f'"{mistake.section}":\n{verdict.describe()}'
    )


@pytest.mark.mutation
@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda a: a.id)
def test_grading_passes_the_alternative(alternative):
    verdict = grade(alternative)
    assert verdict.passes, f"grading refuses a correct solution:\n{verdict.describe()}"


def test_every_lesson_has_mistakes_and_an_alternative():
    for lesson in range(2, 9):
        assert len([m for m in MISTAKES if m.lesson == lesson]) >= 5, lesson
        assert [a for a in ALTERNATIVES if a.lesson == lesson], lesson
    # Lesson 9 (dbt): a model that duplicates on re-run, a missing relationships test,
    # a written path in profiles.yml; and a correct model in another incremental strategy.
    assert len([m for m in MISTAKES if m.lesson == 9]) >= 3
    assert [a for a in ALTERNATIVES if a.lesson == 9]
    assert len(MISTAKES) >= 40
    assert len({m.id for m in MISTAKES}) == len(MISTAKES), "mistake names must be unique"


@pytest.mark.parametrize("entry", [*MISTAKES, *ALTERNATIVES], ids=lambda e: e.id)
def test_every_entry_still_applies_to_the_completed_code(entry):
    """Quick, in the default run: an entry whose text no longer matches the completed code
    is found here, before the slow mutation run."""
    for edit in entry.edits:
        text = (settings.PROJECT_ROOT / edit.file).read_text(encoding="utf-8")
        assert text.count(edit.old) == edit.count, (
            f"{entry.id}: {edit.file} holds {text.count(edit.old)} copies of {edit.old!r}, "
            f"not {edit.count}; update the entry to the changed code"
        )
        assert edit.old != edit.new


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_every_mistake_names_a_graded_section(mistake):
    """A mistake's section is a heading of its page that some check of the lesson declares."""
    from dagster_and_etl_tests.test_grading_notes import graded_tests, headings, section_of

    assert mistake.section in headings(mistake.lesson), (
        f"{mistake.id}: {mistake.section!r} is not a heading of lesson {mistake.lesson}'s page"
    )
    declared = {section_of(test) for test in graded_tests(mistake.lesson)}
    assert mistake.section in declared, (
        f"{mistake.id}: no check of lesson {mistake.lesson} declares {mistake.section!r}"
    )
