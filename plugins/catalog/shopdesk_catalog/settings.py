"""The catalog's per-store settings: how candidates are scored, and when an import runs later.

Weights say how much each kind of evidence counts in a candidate's score (any number >= 0;
only their proportions matter: 3, 1, 2, 3, 1 scores exactly like 30, 10, 20, 30, 10). The
reference values say what counts as "full marks" for a factor. ``selection`` documents
the formula, the README explains it to users.
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shopdesk.plugin import N_

MISSING_EVIDENCE_RULES = ("neutral", "pessimistic", "exclude")
WEIGHT_FIELDS = ("weight_demand", "weight_search", "weight_feedback", "weight_margin", "weight_price")


def _weight(default, description):
    return fields.Float(load_default=default, allow_nan=False,
                        validate=validate.Range(min=0, max=1000),
                        metadata={"description": description})


class CatalogSettings(Schema):
    weight_demand = _weight(3.0, N_("Weight of expected demand in a candidate's score (0 or more)."))
    weight_search = _weight(1.0, N_("Weight of search interest in a candidate's score (0 or more)."))
    weight_feedback = _weight(2.0, N_("Weight of customer feedback in a candidate's score (0 or more)."))
    weight_margin = _weight(3.0, N_("Weight of expected margin in a candidate's score (0 or more)."))
    weight_price = _weight(1.0, N_("Weight of price position against the competitor in a candidate's "
                                   "score (0 or more)."))
    demand_full_units = fields.Integer(
        load_default=500, validate=validate.Range(min=1, max=10_000_000),
        metadata={"description": N_("Expected demand (units a month) that earns full marks for demand.")})
    margin_full_percent = fields.Integer(
        load_default=50, validate=validate.Range(min=1, max=100),
        metadata={"description": N_("Expected margin (percent of the target price) that earns full marks "
                                    "for margin.")})
    price_gap_percent = fields.Integer(
        load_default=20, validate=validate.Range(min=1, max=100),
        metadata={"description": N_("How far (percent) above the competitor's price the target price may be "
                                    "before price position scores zero.")})
    feedback_prior_reviews = fields.Integer(
        load_default=10, validate=validate.Range(min=0, max=10_000),
        metadata={"description": N_("Reviews' worth of a neutral 2.5-star prior: with few reviews a rating "
                                    "counts less.")})
    missing_evidence = fields.String(
        load_default="neutral", validate=validate.OneOf(MISSING_EVIDENCE_RULES),
        metadata={"description": N_("Missing evidence counts as: neutral (0.5), pessimistic (0), or "
                                    "exclude (left out; the other weights share its part).")})
    import_background_rows = fields.Integer(
        load_default=2000, validate=validate.Range(min=1, max=10_000_000),
        metadata={"description": N_("Files uploaded on the Import page with more rows than this are "
                                    "imported in the background by a scheduled job.")})

    @validates_schema
    def some_weight_counts(self, data, **kwargs):
        weights = [data[name] for name in WEIGHT_FIELDS if data.get(name) is not None]
        if len(weights) == len(WEIGHT_FIELDS) and not any(weights):
            raise ValidationError("At least one weight must be above zero.", "weight_demand")
