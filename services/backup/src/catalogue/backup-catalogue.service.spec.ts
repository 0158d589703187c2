import { Subjects, type BackupRecordV1 } from '@lockstep/contracts';
import type { EventPublisher } from '@lockstep/messaging';
import type { BackupCatalogue } from './backup-catalogue';
import { BackupCatalogueService } from './backup-catalogue.service';

const backup = { id: 'backup_1', status: 'completed', verifiedAt: null } as BackupRecordV1;

describe(BackupCatalogueService.name, () => {
  const catalogue = { record: jest.fn() };
  const publisher = { publish: jest.fn() };
  const sut = new BackupCatalogueService(
    catalogue as unknown as BackupCatalogue,
    publisher as unknown as EventPublisher,
  );

  beforeEach(() => jest.resetAllMocks());

  it('announces a change of its own backup once it moved the entry forward, under a random event id', async () => {
    catalogue.record.mockResolvedValue(true);
    publisher.publish.mockResolvedValue(undefined);

    await sut.record(backup);

    expect(publisher.publish).toHaveBeenCalledWith(Subjects.BackupChanged, { backup }, { subject: 'backup_1' });
  });

  it('announces nothing when the entry was already there or further on', async () => {
    catalogue.record.mockResolvedValue(false);

    await sut.record(backup);

    expect(publisher.publish).not.toHaveBeenCalled();
  });

  it('keeps the recorded change when the announcement fails', async () => {
    catalogue.record.mockResolvedValue(true);
    publisher.publish.mockRejectedValue(new Error('nats down'));

    const act = sut.record(backup);

    await expect(act).resolves.toBeUndefined();
  });

  it('records a change someone else announced without announcing it again', async () => {
    catalogue.record.mockResolvedValue(true);

    await sut.recordAnnounced(backup);

    expect(catalogue.record).toHaveBeenCalledWith(backup);
    expect(publisher.publish).not.toHaveBeenCalled();
  });
});
