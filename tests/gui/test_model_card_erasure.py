"""The model card tells the user when learners it was trained on have been erased."""

from __future__ import annotations

from learnalytics_desktop.gui.pages.model.card import card_html


def test_card_advises_retraining_after_an_erasure():
    base = {"kind": "hgb", "week": 6, "model_id": "m1"}
    assert "since been erased" not in card_html(base)
    html = card_html({**base, "erased_since_training": 2})
    assert "2 learners this model was trained on have since been erased" in html
    assert "train a new model" in html
    assert "1 learner this model was trained on has since been erased" in card_html(
        {**base, "erased_since_training": 1}
    )
