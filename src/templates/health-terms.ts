import { createTermMatcher } from './term-matcher.js';
import type { TermMatch } from './term-matcher.js';

/**
 * Words that say something about a person's health (conditions, treatments, results): special
 * category data under GDPR art. 9, India's DPDP Act and HIPAA, and refused by Meta's commerce and
 * business policies in marketing. Curated, not exhaustive: English, Spanish, Portuguese, French,
 * German, Italian and Hindi. Ordinary words that are also health words ("aids", "Rezept") are
 * left out or matched only as acronyms.
 */
const healthTerms = createTermMatcher({
  terms: [
    // English
    'diagnosis', 'diagnosed', 'HIV', 'HIV-positive', 'cancer', 'tumor', 'tumour', 'chemotherapy', 'oncology', 'diabetes', 'diabetic',
    'insulin', 'pregnancy', 'pregnant', 'miscarriage', 'abortion', 'depression', 'antidepressant', 'bipolar', 'schizophrenia',
    'psychiatric', 'mental health', 'sexually transmitted', 'hepatitis', 'tuberculosis', 'dialysis', 'prescription', 'lab results',
    'test results', 'blood test', 'biopsy', 'dementia', "alzheimer's", 'epilepsy', 'addiction', 'rehab', 'overdose', 'IVF',
    'fertility treatment', 'erectile dysfunction', 'medical record', 'medical records',
    // Spanish
    'diagnóstico', 'cáncer', 'quimioterapia', 'embarazo', 'embarazada', 'aborto', 'depresión', 'receta médica',
    'resultados de laboratorio', 'VIH', 'SIDA', 'diálisis', 'biopsia', 'tuberculosis',
    // Portuguese
    'câncer', 'gravidez', 'grávida', 'depressão', 'resultado do exame', 'exame de sangue', 'diabete',
    // French
    'chimiothérapie', 'grossesse', 'enceinte', 'avortement', 'dépression', 'ordonnance', "résultats d'analyse", 'diabète',
    // German
    'Diagnose', 'Krebs', 'Chemotherapie', 'Schwangerschaft', 'schwanger', 'Abtreibung', 'Laborergebnis', 'Laborergebnisse', 'Befund',
    // Italian
    'diagnosi', 'cancro', 'tumore', 'chemioterapia', 'gravidanza', 'incinta', 'depressione', 'ricetta medica',
    // Hindi
    'निदान', 'कैंसर', 'मधुमेह', 'गर्भावस्था', 'एचआईवी',
  ],
  caseSensitiveTerms: ['AIDS', 'STD', 'STI', 'STDs', 'STIs'],
});

export function findHealthTerms(text: string): TermMatch[] {
  return healthTerms.findAll(text);
}
