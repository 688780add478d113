"""Reports for supervisors (api.py): the SLA report and a household's vitals as FHIR
(fhir.py)."""
