import { describe, expect, it } from 'vitest';
import { editorItem } from './server';

describe('editorItem', () => {
  const base = { id: 7, project_id: 2, name: 'a.jpg', width: 64, height: 48 };

  it('points at the stored media', () => {
    expect(editorItem({ ...base, media_key: 'abc' }, 3).mediaUrl).toBe('/api/v1/projects/2/items/7/media');
  });

  it('asks for no media when none is stored (a metadata-only import)', () => {
    expect(editorItem({ ...base, media_key: null }, 3)).toMatchObject({ mediaUrl: null, width: 64, height: 48 });
  });
});
