"""Serializers (payloads in and out) of the sub-sector procedures' API; a module not named `serializers`,
which would shadow DRF's `serializers` in the package."""

from rest_framework import serializers

from procedures.sectors import figures


def _feature(obj, **properties):
    return {"type": "Feature", "geometry": obj.geometry or None, "properties": properties}


class SectorApprovalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    procedure = serializers.CharField(source="version.procedure.code")
    version = serializers.IntegerField(source="version.number")
    partner = serializers.CharField(source="partner.organisation.code")
    partner_name = serializers.CharField(source="partner.organisation.name")
    referent = serializers.CharField(source="partner.referent.username")
    round = serializers.IntegerField()
    state = serializers.CharField()
    comment = serializers.CharField()
    opened_at = serializers.DateTimeField()
    remind_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)


class SectorVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    description = serializers.CharField()
    goals = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    effective_from = serializers.DateField()
    evaluation_month = serializers.IntegerField()
    perimeter = serializers.SerializerMethodField(help_text="GeoJSON Feature (WGS84) with its land shares.")
    zones = serializers.SerializerMethodField(help_text="GeoJSON FeatureCollection of the zones.")
    partners = serializers.SerializerMethodField()
    split = serializers.SerializerMethodField()
    coverage = serializers.SerializerMethodField()
    pooled_means = serializers.SerializerMethodField()
    overrides = serializers.SerializerMethodField()
    intervention_procedure = serializers.SerializerMethodField()
    approvals = SectorApprovalSerializer(many=True)

    def get_perimeter(self, version) -> dict:
        return _feature(
            version,
            source=version.perimeter_source,
            area_m2=version.area_m2,
            land_area_m2=version.land_area_m2,
            land_shares=version.land_shares,
            delegated_manager=version.delegated_manager.code if version.delegated_manager_id else None,
        )

    def get_zones(self, version) -> dict:
        return {
            "type": "FeatureCollection",
            "features": [_feature(z, id=z.pk, name=z.name, area_m2=z.area_m2) for z in version.zones.all()],
        }

    def get_partners(self, version) -> list[dict]:
        return [
            {
                "organisation": p.organisation.code,
                "name": p.organisation.name,
                "referent": p.referent.username,
                "role": p.role,
            }
            for p in version.partners.all()
        ]

    def get_split(self, version) -> list[dict]:
        return [
            {
                "id": row.pk,
                "category": row.category.code if row.category_id else None,
                "category_group": row.category_group.code if row.category_group_id else None,
                "zone": row.zone.name if row.zone_id else None,
                "season": [row.season_start, row.season_end] if row.season_start else None,
                "unit": row.unit.code,
                "unit_name": row.unit.name,
                "what": row.what,
            }
            for row in version.split_rows.all()
        ]

    def get_coverage(self, version) -> list[dict]:
        return [
            {
                "category": item["category"].code,
                "status": item["status"],
                "rows": [row.pk for row in item["rows"]],
                "elsewhere": item["elsewhere"],
            }
            for item in figures.coverage(version)
        ]

    def get_pooled_means(self, version) -> list[dict]:
        out = []
        for item in version.pooled_means.all():
            used = figures.consumption(item)
            out.append(
                {
                    "organisation": item.organisation.code,
                    "unit": item.unit.code,
                    "capacity": str(item.yearly_capacity),
                    "capacity_unit": item.capacity_unit,
                    "categories": [c.code for c in item.categories.all()],
                    "funding": {f.organisation.code: str(f.share_pct) for f in item.funding.all()},
                    "used": str(used["used"]),
                    "used_pct": str(used["pct"]),
                    "warning": used["warning"],
                }
            )
        return out

    def get_overrides(self, version) -> list[dict]:
        return [
            {
                "category": o.category.code if o.category_id else None,
                "urgency": o.urgency,
                "acknowledge_hours": o.acknowledge_hours,
                "resolve_hours": o.resolve_hours,
            }
            for o in version.overrides.all()
        ]

    def get_intervention_procedure(self, version) -> dict | None:
        v = version.intervention_version
        return {"code": v.procedure.code, "number": v.number} if v else None


class SectorProcedureListSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    status = serializers.SerializerMethodField()
    partners = serializers.SerializerMethodField()

    def _latest(self, procedure):
        versions = list(procedure.versions.all())
        return versions[-1] if versions else None

    def get_status(self, procedure) -> str:
        latest = self._latest(procedure)
        return latest.status if latest else ""

    def get_partners(self, procedure) -> list[str]:
        latest = self._latest(procedure)
        return [p.organisation.code for p in latest.partners.all()] if latest else []


class SectorEvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    procedure = serializers.CharField(source="procedure.code")
    version = serializers.IntegerField(source="version.number")
    year = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    figures = serializers.JSONField()
    opinions = serializers.SerializerMethodField()
    decision = serializers.CharField()
    note = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    new_version = serializers.SerializerMethodField()

    def get_opinions(self, evaluation) -> list[dict]:
        return [
            {"partner": o.partner.organisation.code, "text": o.text, "given_at": o.given_at}
            for o in evaluation.opinions.all()
        ]

    def get_new_version(self, evaluation) -> int | None:
        return evaluation.new_version.number if evaluation.new_version_id else None


class SectorProcedureDetailSerializer(SectorProcedureListSerializer):
    versions = SectorVersionSerializer(many=True)
    evaluations = SectorEvaluationSerializer(many=True)


# --- input ------------------------------------------------------------------------------------------
class SectorPartnerInput(serializers.Serializer):
    organisation = serializers.SlugField()
    referent = serializers.CharField(help_text="Username of the partner's referent.")
    role = serializers.CharField(required=False, allow_blank=True, default="")


class SectorProcedureInput(serializers.Serializer):
    code = serializers.SlugField(max_length=64)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    goals = serializers.CharField(required=False, allow_blank=True, default="")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    evaluation_month = serializers.IntegerField()
    partners = SectorPartnerInput(many=True)
    intervention_procedure = serializers.SlugField(required=False, help_text="Procedure code.")
    intervention_version = serializers.IntegerField(required=False, help_text="Its version number.")


class SectorPerimeterInput(serializers.Serializer):
    geometry = serializers.JSONField(
        required=False, help_text="GeoJSON polygon, Feature or FeatureCollection."
    )
    subsectors = serializers.ListField(child=serializers.CharField(), required=False, help_text="Codes.")
    parcels = serializers.ListField(child=serializers.CharField(), required=False, help_text="References.")
    owner = serializers.SlugField(required=False, help_text="Code of the landlord owning the parcels.")


class SectorZoneInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    geometry = serializers.JSONField()


class SectorSplitInput(serializers.Serializer):
    category = serializers.SlugField(required=False)
    category_group = serializers.SlugField(required=False)
    zone = serializers.CharField(required=False, help_text="Name of a zone of the version.")
    season_start = serializers.CharField(required=False, allow_blank=True, default="")
    season_end = serializers.CharField(required=False, allow_blank=True, default="")
    unit = serializers.SlugField()
    what = serializers.CharField(required=False, allow_blank=True, default="")


class SectorMeansInput(serializers.Serializer):
    organisation = serializers.SlugField()
    unit = serializers.SlugField()
    yearly_capacity = serializers.CharField(help_text="Decimal; a comma is accepted.")
    capacity_unit = serializers.ChoiceField(choices=["hours", "interventions"], default="hours")
    categories = serializers.ListField(child=serializers.SlugField(), required=False, default=list)
    funding = serializers.DictField(child=serializers.CharField(), help_text="Organisation code -> percent.")


class SectorOverrideInput(serializers.Serializer):
    category = serializers.SlugField(required=False)
    urgency = serializers.CharField(required=False, allow_blank=True, default="")
    acknowledge_hours = serializers.IntegerField()
    resolve_hours = serializers.IntegerField()


class SectorNewVersionInput(serializers.Serializer):
    effective_from = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SectorCommentInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SectorOpinionInput(serializers.Serializer):
    text = serializers.CharField()


class SectorDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["continue", "adjust", "end", "generalise"])
    note = serializers.CharField(required=False, allow_blank=True, default="")
    effective_from = serializers.DateField(required=False, allow_null=True, default=None)


class SectorTimeSpentInput(serializers.Serializer):
    hours = serializers.CharField(help_text="Decimal; a comma is accepted.")
