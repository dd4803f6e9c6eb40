/**
 * S3 storage prices from AmazonS3 PriceList documents (the Pricing API is not in moto; the
 * documents have the shape GetProducts answers with, see test/support/price-list-documents.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePriceListItem, type PriceListItem } from '../../../main/cost/price-list.ts';
import { s3PricesFrom } from '../../../main/cost/price-refresh.ts';
import { gp3Document, s3StorageDocument } from '../../support/price-list-documents.ts';

const items = (docs: string[]): PriceListItem[] => docs.map((d) => parsePriceListItem(d)!);

describe('s3PricesFrom: S3 storage per GB-month per class', () => {
  it('reads each class by its usage type, region prefix included, and keeps the first tier', () => {
    const docs = [
      s3StorageDocument({
        regionCode: 'eu-central-1',
        usagetype: 'TimedStorage-ByteHrs',
        volumeType: 'Standard',
        storageClass: 'General Purpose',
        tiers: [
          [51200, '0.0235000000'],
          [512000, '0.0225000000'],
          [0, '0.0245000000'],
        ],
      }),
      s3StorageDocument({
        regionCode: 'eu-central-1',
        usagetype: 'TimedStorage-ZIA-ByteHrs',
        volumeType: 'One Zone - Infrequent Access',
        storageClass: 'Infrequent Access',
        tiers: [[0, '0.0110000000']],
      }),
      s3StorageDocument({
        regionCode: 'eu-central-1',
        usagetype: 'TimedStorage-INT-FA-ByteHrs',
        volumeType: 'Intelligent-Tiering Frequent Access',
        storageClass: 'Intelligent-Tiering',
        tiers: [[0, '0.0245000000']],
      }),
      s3StorageDocument({
        regionCode: 'eu-central-1',
        usagetype: 'TimedStorage-INT-IA-ByteHrs',
        volumeType: 'Intelligent-Tiering Infrequent Access',
        storageClass: 'Intelligent-Tiering',
        tiers: [[0, '0.0135000000']],
      }),
      s3StorageDocument({
        regionCode: 'eu-central-1',
        usagetype: 'TimedStorage-GIR-ByteHrs',
        volumeType: 'Glacier Instant Retrieval',
        storageClass: 'Archive Instant Retrieval',
        tiers: [[0, '0.0050000000']],
      }),
      s3StorageDocument({
        regionCode: 'eu-central-1',
        usagetype: 'TimedStorage-GlacierByteHrs',
        volumeType: 'Amazon Glacier',
        storageClass: 'Archive',
        tiers: [[0, '0.0045000000']],
      }),
      s3StorageDocument({
        regionCode: 'eu-central-1',
        usagetype: 'TimedStorage-GlacierStaging',
        volumeType: 'Amazon Glacier',
        storageClass: 'Staging',
        tiers: [[0, '0.0245000000']],
      }),
      s3StorageDocument({
        regionCode: 'eu-central-1',
        usagetype: 'TimedStorage-GDA-ByteHrs',
        volumeType: 'Glacier Deep Archive',
        storageClass: 'Archive',
        tiers: [[0, '0.0018000000']],
      }),
      s3StorageDocument({
        regionCode: 'us-east-1',
        usagetype: 'TimedStorage-SIA-ByteHrs',
        volumeType: 'Standard - Infrequent Access',
        storageClass: 'Infrequent Access',
        tiers: [[0, '0.0125000000']],
      }),
      gp3Document('eu-central-1', '0.0952000000'),
    ];
    assert.deepEqual(s3PricesFrom(items(docs), 'eu-central-1'), {
      STANDARD: 0.0245,
      ONEZONE_IA: 0.011,
      INTELLIGENT_TIERING: 0.0245,
      GLACIER_IR: 0.005,
      GLACIER: 0.0045,
      DEEP_ARCHIVE: 0.0018,
    });
    assert.deepEqual(s3PricesFrom(items(docs), 'us-east-1'), { STANDARD_IA: 0.0125 });
  });

  it('a zero or malformed price is no price', () => {
    const docs = [
      s3StorageDocument({
        regionCode: 'us-east-1',
        usagetype: 'TimedStorage-ByteHrs',
        volumeType: 'Standard',
        storageClass: 'General Purpose',
        tiers: [[0, '0.0000000000']],
      }),
      s3StorageDocument({
        regionCode: 'us-east-1',
        usagetype: 'TimedStorage-GDA-ByteHrs',
        volumeType: 'Glacier Deep Archive',
        storageClass: 'Archive',
        tiers: [[0, 'n/a']],
      }),
    ];
    assert.deepEqual(s3PricesFrom(items(docs), 'us-east-1'), {});
  });
});
