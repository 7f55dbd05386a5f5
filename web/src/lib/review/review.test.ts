import { describe, expect, it } from 'vitest';
import { commentProblem, decisionText, isReviewable, isSubmitKey, mayReview, nameOf, returnedText, reviewKey } from './review';

const key = (k: string, mods: Partial<{ shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
  key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods,
});

describe('review rules', () => {
  it('lets reviewers and above review', () => {
    expect(mayReview('annotator', false)).toBe(false);
    expect(mayReview('reviewer', false)).toBe(true);
    expect(mayReview('owner', false)).toBe(true);
    expect(mayReview(null, true)).toBe(true);
    expect(mayReview(null, false)).toBe(false);
  });

  it('reviews labelled items, and changes decisions', () => {
    expect(isReviewable('labeled')).toBe(true);
    expect(isReviewable('rejected')).toBe(true);
    expect(isReviewable('new')).toBe(false);
    expect(isReviewable('in_progress')).toBe(false);
  });

  it('uses Shift+A and Shift+R, which the editors leave alone', () => {
    expect(reviewKey(key('A', { shiftKey: true }))).toBe('approve');
    expect(reviewKey(key('R', { shiftKey: true }))).toBe('reject');
    expect(reviewKey(key('a'))).toBeNull();
    expect(reviewKey(key('A', { shiftKey: true, ctrlKey: true }))).toBeNull();
    expect(isSubmitKey(key('Enter', { ctrlKey: true }))).toBe(true);
    expect(isSubmitKey(key('Enter'))).toBe(false);
  });

  it('names people from the members list', () => {
    const members = [{ user_id: 3, username: 'rita' }];
    expect(nameOf(3, members, 1)).toBe('rita');
    expect(nameOf(1, members, 1)).toBe('you');
    expect(nameOf(8, members, 1)).toBe('user #8');
    expect(returnedText({ reviewer_id: 3, review_comment: '  Box too loose ' }, members, 1)).toEqual({ who: 'rita', comment: 'Box too loose' });
  });

  it('needs a comment to reject', () => {
    expect(commentProblem('  ')).not.toBe('');
    expect(commentProblem('fix the car')).toBe('');
  });
});

describe("decisionText", () => {
  it("says where a rejected item goes", () => {
    expect(decisionText(true, "a.jpg")).toBe("Approved a.jpg");
    expect(decisionText(false, "a.jpg")).toBe("Returned a.jpg to its annotator");
    expect(decisionText(false, "a.jpg", false)).toMatch(/^Rejected a\.jpg: no annotator is recorded/);
  });
});
