/**
 * Saved images (AMIs) and their snapshots: save an instance as an image for a reproducible
 * environment, list the app's images and snapshots with their monthly storage cost, delete them.
 *
 * Storage cost uses each snapshot's full volume size x the snapshot price: an upper bound, since
 * EBS snapshots are incremental and usually bill less.
 */
import {
  CreateImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  type Image,
  type Tag,
} from '@aws-sdk/client-ec2';
import { snapshotPerGbMonth, type PriceTable } from '../cost/price-table.ts';
import type { Ec2Api } from './describe.ts';
import { ComputeError, fromAwsError } from '../aws/errors.ts';
import { APP_TAG_VALUE, TAG } from '../aws/ec2-instance.ts';
import { type Clock } from '../common/time.ts';

export interface ImageInfo {
  id: string;
  name: string;
  state: string;
  created: string | null;
  sourceInstance: string | null;
  snapshotIds: string[];
  sizeGb: number;
  /** Upper bound: full size of every snapshot at the snapshot price. */
  monthlyCost: number;
}

export interface SnapshotInfo {
  id: string;
  sizeGb: number;
  state: string;
  started: string | null;
  /** The app image that uses it, when any. */
  imageId: string | null;
  monthlyCost: number;
}

export interface ImageService {
  createImage(instanceId: string, options: { name: string; description?: string; noReboot?: boolean; owner: string }): Promise<ImageInfo>;
  listImages(): Promise<ImageInfo[]>;
  listSnapshots(): Promise<SnapshotInfo[]>;
  /** Deregisters the image and (default) deletes its snapshots; returns the deleted snapshot ids. */
  deleteImage(imageId: string, options?: { keepSnapshots?: boolean }): Promise<{ imageId: string; deletedSnapshots: string[] }>;
  deleteSnapshot(snapshotId: string): Promise<void>;
}

const SOURCE_TAG = 'scopecloud:source-instance';

export function createImageService(deps: { ec2: Ec2Api; prices: PriceTable; region: string; clock: Clock }): ImageService {
  const perGb = () => (deps.prices.regions[deps.region] ? snapshotPerGbMonth(deps.prices, deps.region) : 0);

  function toImage(i: Image): ImageInfo {
    const snaps = (i.BlockDeviceMappings ?? []).filter((b) => b.Ebs?.SnapshotId);
    const sizeGb = snaps.reduce((s, b) => s + (b.Ebs?.VolumeSize ?? 0), 0);
    const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    return {
      id: i.ImageId ?? '',
      name: i.Name ?? '',
      state: i.State ?? 'unknown',
      created: i.CreationDate ?? null,
      sourceInstance: tags[SOURCE_TAG] ?? null,
      snapshotIds: snaps.map((b) => b.Ebs!.SnapshotId!),
      sizeGb,
      monthlyCost: sizeGb * perGb(),
    };
  }

  async function listImages(): Promise<ImageInfo[]> {
    try {
      const out = await deps.ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${TAG.app}`, Values: [APP_TAG_VALUE] }] }));
      return (out.Images ?? []).map(toImage).sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
    } catch (e) {
      throw fromAwsError(e, 'list images');
    }
  }

  return {
    listImages,

    async createImage(instanceId, options) {
      if (!/^[a-zA-Z0-9()[\]./\-'@_ ]{3,128}$/.test(options.name)) {
        throw new ComputeError('INVALID_INPUT', `image name "${options.name}" must be 3-128 letters, digits, spaces or ( ) [ ] . / - ' @ _`);
      }
      const tags: Tag[] = [
        { Key: TAG.app, Value: APP_TAG_VALUE },
        { Key: TAG.owner, Value: options.owner },
        { Key: SOURCE_TAG, Value: instanceId },
        { Key: TAG.name, Value: options.name },
      ];
      let imageId: string | undefined;
      try {
        const out = await deps.ec2.send(
          new CreateImageCommand({
            InstanceId: instanceId,
            Name: options.name,
            Description: options.description ?? `ScopeCloud image of ${instanceId}, ${new Date(deps.clock.now()).toISOString()}`,
            NoReboot: options.noReboot ?? false,
            // Snapshot tags are added below with CreateTags: a 'snapshot' TagSpecification here is
            // valid on AWS but not implemented by moto, which the tests run against.
            TagSpecifications: [{ ResourceType: 'image', Tags: tags }],
          }),
        );
        imageId = out.ImageId;
      } catch (e) {
        throw fromAwsError(e, `save ${instanceId} as image`);
      }
      if (!imageId) throw new ComputeError('AWS_ERROR', 'CreateImage returned no image id');
      const found = (await listImages()).find((i) => i.id === imageId);
      if (found?.snapshotIds.length) {
        try {
          await deps.ec2.send(new CreateTagsCommand({ Resources: found.snapshotIds, Tags: tags }));
        } catch {
          // Best effort: listSnapshots also finds snapshots through the image that uses them.
        }
      }
      return (
        found ?? { id: imageId, name: options.name, state: 'pending', created: null, sourceInstance: instanceId, snapshotIds: [], sizeGb: 0, monthlyCost: 0 }
      );
    },

    async listSnapshots() {
      const images = await listImages();
      const owner = new Map<string, string>();
      for (const img of images) for (const s of img.snapshotIds) owner.set(s, img.id);
      const byId = new Map<string, SnapshotInfo>();
      const collect = async (input: ConstructorParameters<typeof DescribeSnapshotsCommand>[0]) => {
        let token: string | undefined;
        do {
          const out = await deps.ec2.send(new DescribeSnapshotsCommand({ ...input, NextToken: token }));
          for (const s of out.Snapshots ?? []) {
            if (!s.SnapshotId) continue;
            byId.set(s.SnapshotId, {
              id: s.SnapshotId,
              sizeGb: s.VolumeSize ?? 0,
              state: s.State ?? 'unknown',
              started: s.StartTime ? new Date(s.StartTime).toISOString() : null,
              imageId: owner.get(s.SnapshotId) ?? null,
              monthlyCost: (s.VolumeSize ?? 0) * perGb(),
            });
          }
          token = out.NextToken;
        } while (token);
      };
      try {
        await collect({ OwnerIds: ['self'], Filters: [{ Name: `tag:${TAG.app}`, Values: [APP_TAG_VALUE] }] });
        // Snapshots of app images that did not receive the tags (older images, some regions).
        const untagged = [...owner.keys()].filter((id) => !byId.has(id));
        if (untagged.length) await collect({ OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: untagged }] });
      } catch (e) {
        throw fromAwsError(e, 'list snapshots');
      }
      return [...byId.values()];
    },

    async deleteImage(imageId, options = {}) {
      const image = (await listImages()).find((i) => i.id === imageId);
      if (!image) throw new ComputeError('UNKNOWN_IMAGE', `no ScopeCloud image ${imageId} in ${deps.region} (see: scopecloud instances images)`);
      try {
        await deps.ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
      } catch (e) {
        throw fromAwsError(e, `delete image ${imageId}`);
      }
      const deleted: string[] = [];
      if (!options.keepSnapshots) {
        for (const s of image.snapshotIds) {
          try {
            await deps.ec2.send(new DeleteSnapshotCommand({ SnapshotId: s }));
            deleted.push(s);
          } catch (e) {
            throw fromAwsError(e, `image ${imageId} deregistered, but deleting its snapshot ${s} failed`);
          }
        }
      }
      return { imageId, deletedSnapshots: deleted };
    },

    async deleteSnapshot(snapshotId) {
      try {
        await deps.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      } catch (e) {
        const name = (e as { name?: string }).name ?? '';
        if (name === 'InvalidSnapshot.InUse') {
          throw new ComputeError('WRONG_STATE', `snapshot ${snapshotId} belongs to a registered image; delete the image instead`);
        }
        if (name.startsWith('InvalidSnapshot')) {
          throw new ComputeError('UNKNOWN_IMAGE', `no snapshot ${snapshotId} in ${deps.region}`);
        }
        throw fromAwsError(e, `delete snapshot ${snapshotId}`);
      }
    },
  };
}
