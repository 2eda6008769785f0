"""Which resource types are FHIR R4, and which careloop stores.

R4 (4.0.1) resource list from hl7.org/fhir/R4/resourcelist.html. A type outside this list is
an error (another FHIR version or not FHIR); an R4 type the clinical record does not model is
counted as skipped.
"""

from __future__ import annotations

R4_RESOURCE_TYPES = frozenset(
    """
    Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse
    AuditEvent Basic Binary BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement
    CarePlan CareTeam CatalogEntry ChargeItem ChargeItemDefinition Claim ClaimResponse
    ClinicalImpression CodeSystem Communication CommunicationRequest CompartmentDefinition
    Composition ConceptMap Condition Consent Contract Coverage CoverageEligibilityRequest
    CoverageEligibilityResponse DetectedIssue Device DeviceDefinition DeviceMetric DeviceRequest
    DeviceUseStatement DiagnosticReport DocumentManifest DocumentReference EffectEvidenceSynthesis
    Encounter Endpoint EnrollmentRequest EnrollmentResponse EpisodeOfCare EventDefinition Evidence
    EvidenceVariable ExampleScenario ExplanationOfBenefit FamilyMemberHistory Flag Goal
    GraphDefinition Group GuidanceResponse HealthcareService ImagingStudy Immunization
    ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide InsurancePlan Invoice
    Library Linkage List Location Measure MeasureReport Media Medication MedicationAdministration
    MedicationDispense MedicationKnowledge MedicationRequest MedicationStatement MedicinalProduct
    MedicinalProductAuthorization MedicinalProductContraindication MedicinalProductIndication
    MedicinalProductIngredient MedicinalProductInteraction MedicinalProductManufactured
    MedicinalProductPackaged MedicinalProductPharmaceutical MedicinalProductUndesirableEffect
    MessageDefinition MessageHeader MolecularSequence NamingSystem NutritionOrder Observation
    ObservationDefinition OperationDefinition OperationOutcome Organization
    OrganizationAffiliation Parameters Patient PaymentNotice PaymentReconciliation Person
    PlanDefinition Practitioner PractitionerRole Procedure Provenance Questionnaire
    QuestionnaireResponse RelatedPerson RequestGroup ResearchDefinition ResearchElementDefinition
    ResearchStudy ResearchSubject RiskAssessment RiskEvidenceSynthesis Schedule SearchParameter
    ServiceRequest Slot Specimen SpecimenDefinition StructureDefinition StructureMap Subscription
    Substance SubstanceNucleicAcid SubstancePolymer SubstanceProtein SubstanceReferenceInformation
    SubstanceSourceMaterial SubstanceSpecification SupplyDelivery SupplyRequest Task
    TerminologyCapabilities TestReport TestScript ValueSet VerificationResult VisionPrescription
    """.split()
)

# Types of other FHIR versions, named so the error can say which version they belong to.
OTHER_VERSION_TYPES = {
    **dict.fromkeys(
        "ProcedureRequest ReferralRequest DeviceComponent ProcessRequest ProcessResponse "
        "EligibilityRequest EligibilityResponse DataElement ServiceDefinition Sequence "
        "ImagingManifest BodySite ExpansionProfile".split(),
        "STU3",
    ),
    **dict.fromkeys("Order OrderResponse DiagnosticOrder MedicationOrder DeviceUseRequest".split(), "DSTU2"),
    **dict.fromkeys(
        "ActorDefinition ArtifactAssessment ConditionDefinition DeviceDispense DeviceUsage "
        "EncounterHistory FormularyItem GenomicStudy InventoryItem InventoryReport "
        "NutritionIntake NutritionProduct Permission RequestOrchestration Requirements "
        "SubscriptionStatus SubscriptionTopic Transport TestPlan".split(),
        "R5",
    ),
}

# Stored by careloop: resource type -> mapper module name (careloop.interop.fhir.mappers.<name>).
STORED_TYPES = (
    "Organization",
    "Location",
    "Practitioner",
    "Patient",
    "Coverage",
    "Encounter",
    "Condition",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "Immunization",
    "Procedure",
    "AllergyIntolerance",
    "Claim",
    "ExplanationOfBenefit",
)

# Writing order: a row's references point only to types earlier in this list.
LOAD_ORDER = {t: i for i, t in enumerate(STORED_TYPES)}
