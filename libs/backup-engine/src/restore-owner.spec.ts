import { fileModeWithoutSpecialBits, ownerToRestore } from './backup-restorer';

describe(ownerToRestore.name, () => {
  it.each([
    ['root puts back any recorded owner', { uid: 1000, gid: 50 }, 0, { uid: 1000, gid: 50 }],
    ['the recorded user puts back its own files', { uid: 1000, gid: 50 }, 1000, { uid: 1000, gid: 50 }],
    ["another user leaves the process's owner", { uid: 1000, gid: 50 }, 1001, undefined],
    ['an older backup without owners changes none', {}, 0, undefined],
    ['a platform without user ids changes none', { uid: 1000, gid: 50 }, undefined, undefined],
  ])('%s', (_name, entry, processUid, expected) => {
    const sut = ownerToRestore(entry, processUid);

    expect(sut).toEqual(expected);
  });
});

describe(fileModeWithoutSpecialBits.name, () => {
  it.each([
    [0o4755, 0o755],
    [0o2750, 0o750],
    [0o6711, 0o711],
    [0o1777, 0o1777],
    [0o644, 0o644],
  ])('%o becomes %o (setuid and setgid cleared, sticky kept)', (mode, expected) => {
    expect(fileModeWithoutSpecialBits({ mode })).toBe(expected);
  });
});
