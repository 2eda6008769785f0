"""Clinical code tables of the demo population generator, and the few systems it adds.

The shared systems are in `careloop.core.codesystems`; the ones below are used only by the
generator (the importer stores them as they come). Codes were checked against the CCW
reference lists in `../shared/data/codesets` (ICD-10-CM), and against the Synthea sample
data for RxNorm, SNOMED CT and CVX codes and displays.
"""

from __future__ import annotations

from careloop.core.codesystems import CARELOOP

# Systems used by the generator only.
NUCC_TAXONOMY = "http://nucc.org/provider-taxonomy"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
DIAGNOSIS_TYPE = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype"
NUBC_REVENUE = "https://www.nubc.org/CodeSystem/RevenueCodes"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CARE_TEAM_ROLE = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"
# careloop: the kind of a stay that has no CPT type code (SNF stay, home-health episode).
ENCOUNTER_KIND = f"{CARELOOP}/CodeSystem/encounter-kind"

# Chronic conditions: key -> variants (ICD-10-CM code, display, SNOMED CT code or "", display,
# weight). ICD-10-CM codes are all in the CCW reference list of their condition (2024-02),
# except G20.A1 (Parkinson's, ICD-10-CM FY2024 split of G20).
# fmt: off
CHRONIC_CODES: dict[str, tuple[tuple[str, str, str, str, float], ...]] = {
    "hypertension": (
        ("I10", "Essential (primary) hypertension", "59621000", "Essential hypertension", 1.0),
    ),
    "hyperlipidemia": (
        ("E78.5", "Hyperlipidemia, unspecified", "55822004", "Hyperlipidemia", 0.7),
        ("E78.00", "Pure hypercholesterolemia, unspecified", "13644009", "Hypercholesterolemia", 0.3),
    ),
    "ischemic_heart_disease": (
        ("I25.10", "Atherosclerotic heart disease of native coronary artery without angina pectoris", "53741008", "Coronary arteriosclerosis", 1.0),
    ),
    "diabetes": (
        ("E11.9", "Type 2 diabetes mellitus without complications", "44054006", "Diabetes mellitus type 2", 0.55),
        ("E11.65", "Type 2 diabetes mellitus with hyperglycemia", "", "", 0.2),
        ("E11.40", "Type 2 diabetes mellitus with diabetic neuropathy, unspecified", "368581000119106", "Neuropathy due to type 2 diabetes mellitus", 0.15),
        ("E11.22", "Type 2 diabetes mellitus with diabetic chronic kidney disease", "127013003", "Disorder of kidney due to diabetes mellitus", 0.1),
    ),
    "ckd": (
        ("N18.2", "Chronic kidney disease, stage 2 (mild)", "431856006", "Chronic kidney disease stage 2", 0.2),
        ("N18.31", "Chronic kidney disease, stage 3a", "700378005", "Chronic kidney disease stage 3a", 0.4),
        ("N18.32", "Chronic kidney disease, stage 3b", "700379002", "Chronic kidney disease stage 3b", 0.25),
        ("N18.4", "Chronic kidney disease, stage 4 (severe)", "431857002", "Chronic kidney disease stage 4", 0.1),
        ("N18.5", "Chronic kidney disease, stage 5", "433146000", "Chronic kidney disease stage 5", 0.05),
    ),
    "arthritis": (
        ("M17.0", "Bilateral primary osteoarthritis of knee", "239873007", "Osteoarthritis of knee", 0.45),
        ("M19.90", "Unspecified osteoarthritis, unspecified site", "396275006", "Osteoarthritis", 0.4),
        ("M06.9", "Rheumatoid arthritis, unspecified", "69896004", "Rheumatoid arthritis", 0.15),
    ),
    "heart_failure": (
        ("I50.9", "Heart failure, unspecified", "84114007", "Heart failure", 0.4),
        ("I50.22", "Chronic systolic (congestive) heart failure", "", "", 0.3),
        ("I50.32", "Chronic diastolic (congestive) heart failure", "", "", 0.3),
    ),
    "depression": (
        ("F32.A", "Depression, unspecified", "35489007", "Depressive disorder", 0.5),
        ("F32.9", "Major depressive disorder, single episode, unspecified", "370143000", "Major depressive disorder", 0.3),
        ("F33.1", "Major depressive disorder, recurrent, moderate", "", "", 0.2),
    ),
    "copd": (
        ("J44.9", "Chronic obstructive pulmonary disease, unspecified", "13645005", "Chronic obstructive lung disease", 1.0),
    ),
    "dementia": (
        ("G30.9", "Alzheimer's disease, unspecified", "26929004", "Alzheimer's disease", 0.4),
        ("F03.90", "Unspecified dementia, unspecified severity, without behavioral disturbance, psychotic disturbance, mood disturbance, and anxiety", "52448006", "Dementia", 0.6),
    ),
    "atrial_fibrillation": (
        ("I48.91", "Unspecified atrial fibrillation", "49436004", "Atrial fibrillation", 0.7),
        ("I48.20", "Chronic atrial fibrillation, unspecified", "", "", 0.3),
    ),
    "cancer_breast": (
        ("C50.911", "Malignant neoplasm of unspecified site of right female breast", "254837009", "Malignant neoplasm of breast", 1.0),
    ),
    "cancer_prostate": (
        ("C61", "Malignant neoplasm of prostate", "399068003", "Malignant tumor of prostate", 1.0),
    ),
    "cancer_colorectal": (
        ("C18.9", "Malignant neoplasm of colon, unspecified", "363406005", "Malignant neoplasm of colon", 1.0),
    ),
    "cancer_lung": (
        ("C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung", "363358000", "Malignant tumor of lung", 1.0),
    ),
    "asthma": (
        ("J45.909", "Unspecified asthma, uncomplicated", "195967001", "Asthma", 1.0),
    ),
    "osteoporosis": (
        ("M81.0", "Age-related osteoporosis without current pathological fracture", "64859006", "Osteoporosis", 1.0),
    ),
    "stroke": (
        ("I63.9", "Cerebral infarction, unspecified", "230690007", "Cerebrovascular accident", 0.6),
        ("G45.9", "Transient cerebral ischemic attack, unspecified", "266257000", "Transient ischemic attack", 0.4),
    ),
    "hypothyroidism": (
        ("E03.9", "Hypothyroidism, unspecified", "40930008", "Hypothyroidism", 1.0),
    ),
    "anemia": (
        ("D64.9", "Anemia, unspecified", "271737000", "Anemia", 1.0),
    ),
    "obesity": (
        ("E66.9", "Obesity, unspecified", "414916001", "Obesity", 1.0),
    ),
    "parkinsons": (
        ("G20.A1", "Parkinson's disease without dyskinesia, without mention of fluctuations", "49049000", "Parkinson's disease", 1.0),
    ),
    "schizophrenia": (
        ("F20.9", "Schizophrenia, unspecified", "58214004", "Schizophrenia", 1.0),
    ),
    "hiv": (
        ("B20", "Human immunodeficiency virus [HIV] disease", "86406008", "Human immunodeficiency virus infection", 1.0),
    ),
    "bph": (
        ("N40.0", "Benign prostatic hyperplasia without lower urinary tract symptoms", "266569009", "Benign prostatic hyperplasia", 1.0),
    ),
    "pvd": (
        ("I73.9", "Peripheral vascular disease, unspecified", "400047006", "Peripheral vascular disease", 1.0),
    ),
}
# fmt: on
ESRD = ("N18.6", "End stage renal disease", "46177005", "End-stage renal disease", 1.0)
DIALYSIS = ("Z99.2", "Dependence on renal dialysis", "", "", 1.0)

# Acute diagnoses: (ICD-10-CM, display). Principal diagnoses of stays and ED visits.
ACUTE_INPATIENT = (
    ("J18.9", "Pneumonia, unspecified organism"),
    ("A41.9", "Sepsis, unspecified organism"),
    ("N39.0", "Urinary tract infection, site not specified"),
    ("N17.9", "Acute kidney failure, unspecified"),
    ("K92.2", "Gastrointestinal hemorrhage, unspecified"),
    ("R55", "Syncope and collapse"),
    ("L03.90", "Cellulitis, unspecified"),
    ("E86.0", "Dehydration"),
    (
        "S72.001A",
        "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture",
    ),
)
# Condition-specific exacerbations: condition key -> principal diagnosis of a stay.
EXACERBATION = {
    "heart_failure": ("I50.23", "Acute on chronic systolic (congestive) heart failure"),
    "copd": ("J44.1", "Chronic obstructive pulmonary disease with (acute) exacerbation"),
    "ischemic_heart_disease": ("I21.4", "Non-ST elevation (NSTEMI) myocardial infarction"),
    "stroke": ("I63.9", "Cerebral infarction, unspecified"),
    "diabetes": ("E11.65", "Type 2 diabetes mellitus with hyperglycemia"),
    "atrial_fibrillation": ("I48.91", "Unspecified atrial fibrillation"),
}
ACUTE_ED = (
    ("R07.9", "Chest pain, unspecified"),
    ("R10.9", "Unspecified abdominal pain"),
    ("J06.9", "Acute upper respiratory infection, unspecified"),
    ("N39.0", "Urinary tract infection, site not specified"),
    ("M54.50", "Low back pain, unspecified"),
    ("R55", "Syncope and collapse"),
    ("S09.90XA", "Unspecified injury of head, initial encounter"),
    ("R06.02", "Shortness of breath"),
)

# ICD-10-PCS procedures during stays: (code, display).
PCS = (
    (
        "027034Z",
        "Dilation of Coronary Artery, One Artery with Drug-eluting Intraluminal Device, Percutaneous Approach",
    ),
    (
        "0DJ08ZZ",
        "Inspection of Upper Intestinal Tract, Via Natural or Artificial Opening Endoscopic",
    ),
    ("5A1935Z", "Respiratory Ventilation, Less than 24 Consecutive Hours"),
    (
        "30233N1",
        "Transfusion of Nonautologous Red Blood Cells into Peripheral Vein, Percutaneous Approach",
    ),
)

# CPT / HCPCS: code -> display.
# fmt: off
CPT_DISPLAY = {
    "99212": "Office or other outpatient visit, established patient, straightforward MDM",
    "99213": "Office or other outpatient visit, established patient, low MDM",
    "99214": "Office or other outpatient visit, established patient, moderate MDM",
    "99215": "Office or other outpatient visit, established patient, high MDM",
    "G0438": "Annual wellness visit; includes a personalized prevention plan of service, initial visit",
    "G0439": "Annual wellness visit, includes a personalized prevention plan of service, subsequent visit",
    "99281": "Emergency department visit, may not require the presence of a physician",
    "99282": "Emergency department visit, straightforward MDM",
    "99283": "Emergency department visit, low MDM",
    "99284": "Emergency department visit, moderate MDM",
    "99285": "Emergency department visit, high MDM",
    "99222": "Initial hospital inpatient or observation care, moderate MDM",
    "99223": "Initial hospital inpatient or observation care, high MDM",
    "99239": "Hospital inpatient or observation discharge day management; more than 30 minutes",
    "99495": "Transitional care management services, moderate complexity, face-to-face visit within 14 days",
    "99496": "Transitional care management services, high complexity, face-to-face visit within 7 days",
    "G0378": "Hospital observation service, per hour",
    "45378": "Colonoscopy, flexible; diagnostic",
    "G0121": "Colorectal cancer screening; colonoscopy on individual not meeting criteria for high risk",
    "81528": "Oncology (colorectal) screening, quantitative real-time target and signal amplification (FIT-DNA)",
    "82274": "Blood, occult, by fecal hemoglobin determination by immunoassay",
    "77067": "Screening mammography, bilateral (2-view study of each breast), including CAD when performed",
}
# fmt: on
OFFICE_VISITS = (("99212", 0.1), ("99213", 0.45), ("99214", 0.4), ("99215", 0.05))
ED_LEVELS = (("99282", 0.08), ("99283", 0.27), ("99284", 0.4), ("99285", 0.25))

# Medications: key -> (RxNorm code, display, dosage text). Displays as in RxNorm/Synthea.
# fmt: off
MEDS = {
    "lisinopril": ("314076", "lisinopril 10 MG Oral Tablet", "Take 1 tablet by mouth once daily"),
    "amlodipine": ("197361", "amlodipine 5 MG Oral Tablet", "Take 1 tablet by mouth once daily"),
    "hctz": ("310798", "Hydrochlorothiazide 25 MG Oral Tablet", "Take 1 tablet by mouth every morning"),
    "atorvastatin80": ("259255", "atorvastatin 80 MG Oral Tablet", "Take 1 tablet by mouth at bedtime"),
    "atorvastatin20": ("617310", "atorvastatin 20 MG Oral Tablet", "Take 1 tablet by mouth at bedtime"),
    "simvastatin20": ("312961", "Simvastatin 20 MG Oral Tablet", "Take 1 tablet by mouth at bedtime"),
    "simvastatin10": ("314231", "Simvastatin 10 MG Oral Tablet", "Take 1 tablet by mouth at bedtime"),
    "metformin": ("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", "Take 1 tablet by mouth daily with the evening meal"),
    "insulin": ("106892", "insulin human, isophane 70 UNT/ML / Regular Insulin, Human 30 UNT/ML Injectable Suspension [Humulin]", "Inject 20 units under the skin twice daily before meals"),
    "carvedilol": ("200033", "carvedilol 25 MG Oral Tablet", "Take 1 tablet by mouth twice daily with food"),
    "furosemide": ("313988", "Furosemide 40 MG Oral Tablet", "Take 1 tablet by mouth every morning"),
    "warfarin": ("855332", "Warfarin Sodium 5 MG Oral Tablet", "Take as directed by the anticoagulation clinic"),
    "digoxin": ("197604", "Digoxin 0.125 MG Oral Tablet", "Take 1 tablet by mouth once daily"),
    "fluticasone_salmeterol": ("896209", "60 ACTUAT Fluticasone propionate 0.25 MG/ACTUAT / salmeterol 0.05 MG/ACTUAT Dry Powder Inhaler", "Inhale 1 puff twice daily"),
    "fluticasone": ("895994", "120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler", "Inhale 2 puffs twice daily"),
    "albuterol": ("2123111", "NDA020503 200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", "Inhale 2 puffs every 4 to 6 hours as needed for shortness of breath"),
    "clopidogrel": ("309362", "Clopidogrel 75 MG Oral Tablet", "Take 1 tablet by mouth once daily"),
    "nitroglycerin": ("705129", "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray", "1 spray under the tongue as needed for chest pain; may repeat every 5 minutes, up to 3 times"),
    "aspirin": ("243670", "Aspirin 81 MG Oral Tablet", "Take 1 tablet by mouth once daily"),
    "donepezil": ("997223", "Donepezil hydrochloride 10 MG Oral Tablet", "Take 1 tablet by mouth at bedtime"),
    "fluoxetine": ("310385", "FLUoxetine 20 MG Oral Capsule", "Take 1 capsule by mouth every morning"),
    "alendronate": ("904419", "Alendronic acid 10 MG Oral Tablet", "Take 1 tablet by mouth once daily with a full glass of water, 30 minutes before food"),
    "ferrous_sulfate": ("310325", "ferrous sulfate 325 MG Oral Tablet", "Take 1 tablet by mouth once daily"),
    "acetaminophen": ("313782", "Acetaminophen 325 MG Oral Tablet", "Take 2 tablets by mouth every 6 hours as needed for pain"),
}
# fmt: on
# Condition key -> ((med key or tuple of alternatives, probability), ...).
MEDS_FOR = {
    "hypertension": ((("lisinopril",), 0.5), (("amlodipine",), 0.35), (("hctz",), 0.25)),
    "diabetes": ((("metformin",), 0.65), (("insulin",), 0.15)),
    "heart_failure": ((("carvedilol",), 0.6), (("furosemide",), 0.55), (("lisinopril",), 0.4)),
    "atrial_fibrillation": ((("warfarin",), 0.35), (("digoxin",), 0.15)),
    "copd": ((("fluticasone_salmeterol",), 0.6), (("albuterol",), 0.7)),
    "asthma": ((("fluticasone",), 0.6), (("albuterol",), 0.8)),
    "ischemic_heart_disease": (
        (("clopidogrel",), 0.3),
        (("nitroglycerin",), 0.3),
        (("aspirin",), 0.6),
    ),
    "dementia": ((("donepezil",), 0.5),),
    "depression": ((("fluoxetine",), 0.55),),
    "osteoporosis": ((("alendronate",), 0.5),),
    "anemia": ((("ferrous_sulfate",), 0.4),),
    "arthritis": ((("acetaminophen",), 0.4),),
}
# Statins, by ACC/AHA intensity (simvastatin 10 mg is low intensity: it does not close GAP-009).
STATINS = (
    ("atorvastatin80", 0.25),
    ("atorvastatin20", 0.35),
    ("simvastatin20", 0.3),
    ("simvastatin10", 0.1),
)

# Vaccines (CVX): code -> display.
FLU_VACCINES = (
    ("197", "influenza, high-dose, quadrivalent", 0.45),
    (
        "205",
        "influenza, seasonal vaccine, quadrivalent, adjuvanted, 0.5mL dose, preservative free",
        0.25,
    ),
    ("150", "Influenza, injectable, quadrivalent, preservative free", 0.15),
    ("140", "Influenza, seasonal, injectable, preservative free", 0.1),
    ("158", "influenza, injectable, quadrivalent, contains preservative", 0.05),
)
PNEUMO = {
    "33": "pneumococcal polysaccharide vaccine, 23 valent",
    "133": "Pneumococcal conjugate PCV 13",
    "215": "Pneumococcal conjugate PCV15, polysaccharide CRM197 conjugate, adjuvant, preservative free",
    "216": "Pneumococcal conjugate PCV20, polysaccharide CRM197 conjugate, adjuvant, preservative free",
}

# Allergies (SNOMED CT finding, display, category, criticality).
ALLERGIES = (
    ("91936005", "Allergy to penicillin", "medication", "high", 0.3),
    ("91939003", "Allergy to sulfonamide", "medication", "low", 0.15),
    ("91935009", "Allergy to peanuts", "food", "high", 0.08),
    ("300913006", "Shellfish allergy", "food", "high", 0.1),
    ("300916003", "Latex allergy", "environment", "low", 0.07),
    ("424213003", "Allergy to bee venom", "environment", "high", 0.05),
    ("418689008", "Allergy to grass pollen", "environment", "low", 0.15),
    ("232350006", "House dust mite allergy", "environment", "low", 0.1),
)
NO_KNOWN_ALLERGY = ("716186003", "No known allergy")

# Practitioner specialties (NUCC taxonomy code, display).
PRIMARY_CARE_TAXONOMY = (
    ("207Q00000X", "Family Medicine"),
    ("207R00000X", "Internal Medicine"),
    ("207RG0300X", "Geriatric Medicine"),
    ("363LF0000X", "Nurse Practitioner, Family"),
)
EMERGENCY_TAXONOMY = ("207P00000X", "Emergency Medicine")
HOSPITALIST_TAXONOMY = ("208M00000X", "Hospitalist")
