/**
 * PriceList documents shaped like the AWS Pricing API's GetProducts answers for AmazonEC2
 * (one JSON string per product), written for these tests: instance hours with OnDemand and
 * Reserved terms, EBS volume and snapshot storage, and decoys the filters must exclude.
 */

export interface ComputeDoc {
  instanceType: string;
  regionCode: string;
  usdPerHour: string;
  vcpu?: string;
  memory?: string;
  gpu?: string;
  operatingSystem?: string;
  tenancy?: string;
  preInstalledSw?: string;
  capacitystatus?: string;
  licenseModel?: string;
  usagetype?: string;
}

const LOCATIONS: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-west-1': 'EU (Ireland)',
  'ap-northeast-3': 'Asia Pacific (Osaka)',
};

let serial = 0;
function sku(): string {
  serial += 1;
  return `TST${String(serial).padStart(5, '0')}QZXK${(serial * 7919).toString(36).toUpperCase()}`;
}

function onDemand(s: string, unit: string, usd: string, description: string) {
  return {
    [`${s}.JRTCKXETXF`]: {
      offerTermCode: 'JRTCKXETXF',
      sku: s,
      effectiveDate: '2026-11-01T00:00:00Z',
      priceDimensions: {
        [`${s}.JRTCKXETXF.6YS6EN2CT7`]: {
          unit,
          endRange: 'Inf',
          description,
          appliesTo: [],
          rateCode: `${s}.JRTCKXETXF.6YS6EN2CT7`,
          beginRange: '0',
          pricePerUnit: { USD: usd },
        },
      },
      termAttributes: {},
    },
  };
}

export function computeDocument(d: ComputeDoc): string {
  const s = sku();
  const os = d.operatingSystem ?? 'Linux';
  const attributes = {
    servicecode: 'AmazonEC2',
    location: LOCATIONS[d.regionCode] ?? d.regionCode,
    locationType: 'AWS Region',
    instanceType: d.instanceType,
    currentGeneration: 'Yes',
    instanceFamily: d.gpu ? 'GPU instance' : 'General purpose',
    vcpu: d.vcpu ?? '4',
    memory: d.memory ?? '16 GiB',
    storage: 'EBS only',
    networkPerformance: 'Up to 12500 Megabit',
    tenancy: d.tenancy ?? 'Shared',
    operatingSystem: os,
    licenseModel: d.licenseModel ?? 'No License required',
    usagetype: d.usagetype ?? `${d.regionCode === 'us-east-1' ? '' : 'EUC1-'}BoxUsage:${d.instanceType}`,
    operation: 'RunInstances',
    capacitystatus: d.capacitystatus ?? 'Used',
    preInstalledSw: d.preInstalledSw ?? 'NA',
    regionCode: d.regionCode,
    servicename: 'Amazon Elastic Compute Cloud',
    marketoption: 'OnDemand',
    ...(d.gpu ? { gpu: d.gpu, gpuMemory: '24 GB' } : {}),
  };
  return JSON.stringify({
    product: { productFamily: 'Compute Instance', attributes, sku: s },
    serviceCode: 'AmazonEC2',
    terms: {
      OnDemand: onDemand(s, 'Hrs', d.usdPerHour, `$${Number(d.usdPerHour).toFixed(4)} per On Demand ${os} ${d.instanceType} Instance Hour`),
      Reserved: {
        [`${s}.4NA7Y494T4`]: {
          offerTermCode: '4NA7Y494T4',
          sku: s,
          effectiveDate: '2026-11-01T00:00:00Z',
          termAttributes: { LeaseContractLength: '1yr', OfferingClass: 'standard', PurchaseOption: 'No Upfront' },
          priceDimensions: {
            [`${s}.4NA7Y494T4.6YS6EN2CT7`]: {
              unit: 'Hrs',
              endRange: 'Inf',
              description: 'Reserved',
              appliesTo: [],
              rateCode: 'x',
              beginRange: '0',
              pricePerUnit: { USD: '0.0010000000' },
            },
          },
        },
      },
    },
    version: '20261120190523',
    publicationDate: '2026-11-20T19:05:23Z',
  });
}

export function gp3Document(regionCode: string, usdPerGbMonth: string): string {
  const s = sku();
  return JSON.stringify({
    product: {
      productFamily: 'Storage',
      attributes: {
        servicecode: 'AmazonEC2',
        location: LOCATIONS[regionCode] ?? regionCode,
        regionCode,
        storageMedia: 'SSD-backed',
        volumeType: 'General Purpose',
        volumeApiName: 'gp3',
        usagetype: 'EBS:VolumeUsage.gp3',
        maxVolumeSize: '16 TiB',
      },
      sku: s,
    },
    serviceCode: 'AmazonEC2',
    terms: { OnDemand: onDemand(s, 'GB-Mo', usdPerGbMonth, `$${usdPerGbMonth} per GB-month of General Purpose (gp3) provisioned storage`) },
    version: '20261120190523',
    publicationDate: '2026-11-20T19:05:23Z',
  });
}

export function snapshotDocument(regionCode: string, usagetype: string, usdPerGbMonth: string): string {
  const s = sku();
  return JSON.stringify({
    product: {
      productFamily: 'Storage Snapshot',
      attributes: { servicecode: 'AmazonEC2', location: LOCATIONS[regionCode] ?? regionCode, regionCode, storageMedia: 'Amazon S3', usagetype },
      sku: s,
    },
    serviceCode: 'AmazonEC2',
    terms: { OnDemand: onDemand(s, 'GB-Mo', usdPerGbMonth, `$${usdPerGbMonth} per GB-Month of snapshot data stored`) },
    version: '20261120190523',
    publicationDate: '2026-11-20T19:05:23Z',
  });
}

export interface S3StorageDoc {
  regionCode: string;
  /** Without the region prefix: `TimedStorage-ByteHrs`, `TimedStorage-SIA-ByteHrs`, ... */
  usagetype: string;
  volumeType: string;
  storageClass: string;
  /** One price per tier, `[beginRange GB, USD]`; listed in this order (not necessarily ascending). */
  tiers: ReadonlyArray<[number, string]>;
}

const USAGE_PREFIX: Record<string, string> = { 'us-east-1': '', 'eu-central-1': 'EUC1-', 'eu-west-1': 'EU-', 'ap-northeast-3': 'APN3-' };

/**
 * An AmazonS3 `Storage` product as GetProducts answers it (attributes and tiered GB-Mo dimensions
 * in the shape of a recorded us-east-1 S3 Standard document: `endRange` strings, "$0.023 per GB -
 * first 50 TB / month of storage used" descriptions).
 */
export function s3StorageDocument(d: S3StorageDoc): string {
  const s = sku();
  const ranges = [...d.tiers].map(([begin]) => begin).sort((a, b) => a - b);
  const dims: Record<string, unknown> = {};
  d.tiers.forEach(([begin, usd], n) => {
    const end = ranges[ranges.indexOf(begin) + 1];
    const rate = `${s}.JRTCKXETXF.${['PGHJ3S3EYE', 'D42MF2PVJS', '7XBZGPTFQF'][n] ?? `R${n}`}`;
    dims[rate] = {
      unit: 'GB-Mo',
      endRange: end === undefined ? 'Inf' : String(end),
      description: `$${Number(usd)} per GB - ${begin === 0 ? (end === undefined ? 'storage used' : `first ${end / 1024} TB`) : `over ${begin / 1024} TB`} / month of storage used`,
      appliesTo: [],
      rateCode: rate,
      beginRange: String(begin),
      pricePerUnit: { USD: usd },
    };
  });
  return JSON.stringify({
    product: {
      productFamily: 'Storage',
      attributes: {
        regionCode: d.regionCode,
        servicecode: 'AmazonS3',
        usagetype: `${USAGE_PREFIX[d.regionCode] ?? ''}${d.usagetype}`,
        locationType: 'AWS Region',
        availability: '99.99%',
        storageClass: d.storageClass,
        location: LOCATIONS[d.regionCode] ?? d.regionCode,
        durability: '99.999999999%',
        operation: '',
        volumeType: d.volumeType,
        servicename: 'Amazon Simple Storage Service',
      },
      sku: s,
    },
    serviceCode: 'AmazonS3',
    terms: {
      OnDemand: {
        [`${s}.JRTCKXETXF`]: { priceDimensions: dims, sku: s, effectiveDate: '2026-11-01T00:00:00Z', offerTermCode: 'JRTCKXETXF', termAttributes: {} },
      },
    },
    version: '20261125222118',
    publicationDate: '2026-11-25T22:21:18Z',
  });
}
