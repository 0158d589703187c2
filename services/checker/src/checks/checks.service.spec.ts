import { systemActor } from '@lockstep/contracts';
import type { ComponentEntity } from '@lockstep/persistence';
import { SourceCheckError, SourceErrorCode, type SourceRelease } from '../sources/release-source';
import type { CheckRepository } from './check.repository';
import { ChecksService } from './checks.service';
import type { ReleaseCheckService } from './release-check.service';

const component = { name: 'demo', scheme: 'semver', sourceType: 'tuf' } as ComponentEntity;
const release: SourceRelease = {
  version: '1.2.0',
  channel: 'stable',
  security: false,
  hotfix: false,
  breaking: false,
  notes: '',
  artifact: { uri: 's3://releases/demo-1.2.0.tgz', sha256: 'ab'.repeat(32), length: 42 },
};

describe(ChecksService.name, () => {
  const repo = { findComponent: jest.fn(), audit: jest.fn() };
  const actor = systemActor('spec');
  const checks = { check: jest.fn(), checkAll: jest.fn(), releaseInfo: jest.fn() };
  const sut = new ChecksService(repo as unknown as CheckRepository, checks as unknown as ReleaseCheckService);

  beforeEach(() => jest.resetAllMocks());

  it('checks every component on demand when none is named', async () => {
    checks.checkAll.mockResolvedValue([{ component: 'demo', ok: true, announced: [] }]);

    const reply = await sut.checkNow({ actor });

    expect(reply).toEqual({ ok: true, result: [{ component: 'demo', ok: true, announced: [] }] });
    expect(checks.checkAll).toHaveBeenCalledWith('demand');
    expect(repo.audit).toHaveBeenCalledWith({
      actor,
      action: 'check.run',
      target: 'all',
      params: { results: [{ component: 'demo', ok: true, announced: [] }] },
    });
  });

  it('checks the named component on demand', async () => {
    repo.findComponent.mockResolvedValue(component);
    checks.check.mockResolvedValue({ component: 'demo', ok: true, announced: ['1.2.0'] });

    const reply = await sut.checkNow({ component: 'demo', actor });

    expect(reply).toEqual({ ok: true, result: [{ component: 'demo', ok: true, announced: ['1.2.0'] }] });
    expect(checks.check).toHaveBeenCalledWith(component, 'demand');
  });

  it.each([
    ['check', (s: ChecksService) => s.checkNow({ component: 'ghost', actor })],
    ['release lookup', (s: ChecksService) => s.releaseInfo({ component: 'ghost', version: '1.0.0' })],
  ])('tells how to register a component that is unknown to a %s', async (_name, act) => {
    repo.findComponent.mockResolvedValue(null);

    const reply = await act(sut);

    expect(reply).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'component ghost is not registered; add it with lockstep components add' },
    });
    expect(checks.check).not.toHaveBeenCalled();
    expect(checks.releaseInfo).not.toHaveBeenCalled();
  });

  it("answers a release's verified artifact", async () => {
    repo.findComponent.mockResolvedValue(component);
    checks.releaseInfo.mockResolvedValue(release);

    const reply = await sut.releaseInfo({ component: 'demo', version: '1.2.0' });

    expect(reply).toEqual({
      ok: true,
      result: { component: 'demo', version: '1.2.0', scheme: 'semver', artifact: release.artifact },
    });
    expect(checks.releaseInfo).toHaveBeenCalledWith(component, '1.2.0');
  });

  it('tells to publish a release the source does not have', async () => {
    repo.findComponent.mockResolvedValue(component);
    checks.releaseInfo.mockResolvedValue(undefined);

    const reply = await sut.releaseInfo({ component: 'demo', version: '9.9.9' });

    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'RELEASE_NOT_FOUND',
        message: 'demo 9.9.9 is not published in its tuf source; publish it first (lockstep release publish)',
      },
    });
  });

  it("answers a source's failure with its code and message", async () => {
    repo.findComponent.mockResolvedValue(component);
    checks.releaseInfo.mockRejectedValue(new SourceCheckError(SourceErrorCode.BadSignature, 'signature invalid'));

    const reply = await sut.releaseInfo({ component: 'demo', version: '1.2.0' });

    expect(reply).toEqual({ ok: false, error: { code: 'METADATA_BAD_SIGNATURE', message: 'signature invalid' } });
  });

  it('lets an unexpected failure through to the transport', async () => {
    repo.findComponent.mockResolvedValue(component);
    checks.releaseInfo.mockRejectedValue(new Error('boom'));

    const act = sut.releaseInfo({ component: 'demo', version: '1.2.0' });

    await expect(act).rejects.toThrow('boom');
  });
});
