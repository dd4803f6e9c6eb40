import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePriceListItem } from '../../../main/cost/price-list.ts';
import { hourlyFrom, priceTableLabel } from '../../../main/cost/price-refresh.ts';
import { pricingApiRegion } from '../../../main/aws/pricing-region.ts';
import { loadPriceTable } from '../../../main/cost/price-table.ts';
import { computeDocument, gp3Document } from '../../support/price-list-documents.ts';

describe('PriceList documents', () => {
  it('reads attributes and the on-demand dimensions in USD, ignoring reserved terms', () => {
    const item = parsePriceListItem(
      computeDocument({ instanceType: 'c7i.2xlarge', regionCode: 'us-east-1', usdPerHour: '0.3570000000', vcpu: '8', memory: '16 GiB' }),
    )!;
    assert.equal(item.productFamily, 'Compute Instance');
    assert.equal(item.attributes.instanceType, 'c7i.2xlarge');
    assert.deepEqual(
      item.onDemand.map((d) => [d.unit, d.usd]),
      [['Hrs', 0.357]],
      'the reserved 0.001 is not an on-demand price',
    );
    const gp3 = parsePriceListItem(gp3Document('eu-central-1', '0.0952000000'))!;
    assert.deepEqual(
      gp3.onDemand.map((d) => [d.unit, d.usd]),
      [['GB-Mo', 0.0952]],
    );
  });

  it('returns null for malformed documents and drops dimensions without a USD price', () => {
    assert.equal(parsePriceListItem('{not json'), null);
    // the SDK delivers each entry as a String object (LazyJsonString)
    assert.equal(parsePriceListItem(new String(gp3Document('us-east-1', '0.08')))!.productFamily, 'Storage');
    assert.equal(parsePriceListItem('[]'), null);
    assert.equal(parsePriceListItem('{"terms":{}}'), null);
    const doc = JSON.parse(computeDocument({ instanceType: 't3.medium', regionCode: 'us-east-1', usdPerHour: '0.0416' })) as {
      terms: { OnDemand: Record<string, { priceDimensions: Record<string, { pricePerUnit: Record<string, string> }> }> };
    };
    for (const t of Object.values(doc.terms.OnDemand)) for (const d of Object.values(t.priceDimensions)) d.pricePerUnit = { CNY: '0.3' };
    assert.deepEqual(parsePriceListItem(JSON.stringify(doc))!.onDemand, []);
  });

  it('takes the Linux, shared, no-software, capacity-used hour of the right type and region only', () => {
    const items = [
      computeDocument({
        instanceType: 't3.medium',
        regionCode: 'us-east-1',
        usdPerHour: '0.0780',
        operatingSystem: 'Windows',
        licenseModel: 'License Included',
      }),
      computeDocument({ instanceType: 't3.medium', regionCode: 'us-east-1', usdPerHour: '0.0500', tenancy: 'Dedicated' }),
      computeDocument({ instanceType: 't3.medium', regionCode: 'us-east-1', usdPerHour: '0.1200', preInstalledSw: 'SQL Std' }),
      computeDocument({ instanceType: 't3.medium', regionCode: 'us-east-1', usdPerHour: '0.0000', capacitystatus: 'UnusedCapacityReservation' }),
      computeDocument({ instanceType: 't3.medium', regionCode: 'eu-west-1', usdPerHour: '0.0456' }),
      computeDocument({ instanceType: 't3.large', regionCode: 'us-east-1', usdPerHour: '0.0832' }),
      computeDocument({ instanceType: 't3.medium', regionCode: 'us-east-1', usdPerHour: '0.0418' }),
    ].map((d) => parsePriceListItem(d)!);
    assert.equal(hourlyFrom(items, 't3.medium', 'us-east-1'), 0.0418);
    assert.equal(hourlyFrom(items, 't3.medium', 'eu-west-1'), 0.0456);
    assert.equal(hourlyFrom(items, 'g5.xlarge', 'us-east-1'), null);
    assert.equal(hourlyFrom(items.slice(0, 4), 't3.medium', 'us-east-1'), null, 'decoys alone give no price');
  });

  it('talks to the Pricing API region nearest the configured one (only three serve it)', () => {
    assert.equal(pricingApiRegion('us-west-2'), 'us-east-1');
    assert.equal(pricingApiRegion('ca-central-1'), 'us-east-1');
    assert.equal(pricingApiRegion('eu-west-1'), 'eu-central-1');
    assert.equal(pricingApiRegion('me-south-1'), 'eu-central-1');
    assert.equal(pricingApiRegion('ap-northeast-1'), 'ap-south-1');
  });

  it('labels the shipped table with its date', () => {
    assert.equal(priceTableLabel(loadPriceTable()), `shipped table of ${loadPriceTable().retrieved}`);
    assert.equal(
      priceTableLabel({ ...loadPriceTable(), source: 'AWS Pricing API, fetched 2026-11-28', retrieved: '2026-11-28' }),
      'AWS Pricing API, fetched 2026-11-28',
    );
  });
});
