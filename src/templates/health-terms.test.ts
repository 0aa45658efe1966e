import { describe, expect, it } from 'vitest';
import { findHealthTerms } from './health-terms.js';

function terms(text: string): string[] {
  return findHealthTerms(text).map((match) => match.term);
}

describe('findHealthTerms', () => {
  it('finds conditions, treatments and results in several languages', () => {
    expect(terms('Your HIV test results are ready')).toEqual(['HIV', 'test results']);
    expect(terms('Ofertas para diabetes y embarazo')).toEqual(['diabetes', 'embarazo']);
    expect(terms('Tratamento de câncer')).toEqual(['câncer']);
    expect(terms('Ihre Schwangerschaft')).toEqual(['Schwangerschaft']);
    expect(terms('गर्भावस्था के लिए')).toEqual(['गर्भावस्था']);
  });

  it('matches without regard to case, but acronyms that are also words only in capitals', () => {
    expect(terms('CHEMOTHERAPY')).toEqual(['chemotherapy']);
    expect(terms('AIDS clinic')).toEqual(['AIDS']);
    expect(terms('hearing aids and first aid kits')).toEqual([]);
    expect(terms('std::vector')).toEqual([]);
  });

  it('matches whole words only', () => {
    expect(terms('anticancerous')).toEqual([]);
    expect(terms('insulinated cables')).toEqual([]);
    expect(terms('Pregnant?')).toEqual(['pregnant']);
  });

  it('finds nothing in ordinary commerce text', () => {
    expect(terms('Your order {{1}} ships today. Track it with the button below.')).toEqual([]);
  });
});
