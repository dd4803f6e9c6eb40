/**
 * Parsing one PriceList entry of the AWS Pricing API (GetProducts returns each product as a JSON
 * string): the product's attributes and its on-demand price dimensions in USD. Pure.
 *
 * A document has `product.{sku, productFamily, attributes}` and `terms.OnDemand.<offer>.
 * priceDimensions.<rate>.{unit, pricePerUnit.USD, beginRange}`; Reserved terms are ignored.
 * Anything malformed yields null (or drops the dimension), never an exception.
 */

export interface PriceDimension {
  /** 'Hrs' for instance hours, 'GB-Mo' for storage. */
  unit: string;
  usd: number;
  description: string;
}

export interface PriceListItem {
  sku: string;
  productFamily: string;
  attributes: Record<string, string>;
  /** On-demand dimensions priced in USD, in document order (first tier first). */
  onDemand: PriceDimension[];
}

function record(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** `doc` is the JSON text; the SDK hands it over as a String object (its LazyJsonString), also accepted. */
export function parsePriceListItem(doc: string | unknown): PriceListItem | null {
  let parsed: unknown = doc;
  if (typeof doc === 'string' || doc instanceof String) {
    try {
      parsed = JSON.parse(String(doc));
    } catch {
      return null;
    }
  }
  const root = record(parsed);
  const product = record(root?.product);
  if (!root || !product) return null;
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(product.attributes) ?? {})) if (typeof v === 'string') attributes[k] = v;
  const onDemand: PriceDimension[] = [];
  for (const term of Object.values(record(record(root.terms)?.OnDemand) ?? {})) {
    const dims = Object.values(record(record(term)?.priceDimensions) ?? {})
      .map(record)
      .filter((d): d is Record<string, unknown> => d !== null)
      .sort((a, b) => Number(a.beginRange ?? 0) - Number(b.beginRange ?? 0));
    for (const d of dims) {
      const usd = Number(record(d.pricePerUnit)?.USD);
      if (typeof d.unit !== 'string' || !Number.isFinite(usd)) continue;
      onDemand.push({ unit: d.unit, usd, description: typeof d.description === 'string' ? d.description : '' });
    }
  }
  return {
    sku: typeof product.sku === 'string' ? product.sku : '',
    productFamily: typeof product.productFamily === 'string' ? product.productFamily : '',
    attributes,
    onDemand,
  };
}
