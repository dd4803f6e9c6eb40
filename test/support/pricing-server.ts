/**
 * A small AWS Pricing API server for tests (moto has no pricing backend): 127.0.0.1, JSON 1.1
 * protocol, `X-Amz-Target: AWSPriceListService.GetProducts`, service codes AmazonEC2 and AmazonS3.
 * It filters the given PriceList documents by service code and the request's TERM_MATCH filters (on
 * `productFamily` and product attributes), pages them `pageSize` at a time with an opaque NextToken, records every request, and can answer
 * AccessDeniedException instead.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PricingRequest {
  target: string;
  body: { ServiceCode?: string; Filters?: { Type: string; Field: string; Value: string }[]; NextToken?: string; MaxResults?: number };
}

export interface PricingServer {
  endpoint: string;
  requests: PricingRequest[];
  /** 'ok' serves the documents; 'access-denied' answers every request with AccessDeniedException. */
  setMode(mode: 'ok' | 'access-denied'): void;
  stop(): Promise<void>;
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function matches(doc: string, filters: PricingRequest['body']['Filters']): boolean {
  const product = (JSON.parse(doc) as { product: { productFamily?: string; attributes: Record<string, string> } }).product;
  return (filters ?? []).every((f) => {
    if (f.Type !== 'TERM_MATCH') throw new Error(`unsupported filter type ${f.Type}`);
    const value = f.Field === 'productFamily' ? product.productFamily : product.attributes[f.Field];
    return value !== undefined && value.toLowerCase() === f.Value.toLowerCase();
  });
}

export async function startPricingServer(documents: ReadonlyArray<string>, options: { pageSize?: number } = {}): Promise<PricingServer> {
  const pageSize = options.pageSize ?? 2;
  const requests: PricingRequest[] = [];
  let mode: 'ok' | 'access-denied' = 'ok';
  const server = createServer(async (req, res) => {
    const raw = await read(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = (raw ? JSON.parse(raw) : {}) as PricingRequest['body'];
    requests.push({ target, body });
    const error = (status: number, type: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': `req-${requests.length}` });
      res.end(JSON.stringify({ __type: type, Message: message }));
    };
    if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-amz-json-1.1')) {
      error(400, 'SerializationException', 'expected a JSON 1.1 POST');
      return;
    }
    if (mode === 'access-denied') {
      error(400, 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/student is not authorized to perform: pricing:GetProducts');
      return;
    }
    if (target !== 'AWSPriceListService.GetProducts') {
      error(400, 'UnknownOperationException', `unknown operation ${target}`);
      return;
    }
    if (body.ServiceCode !== 'AmazonEC2' && body.ServiceCode !== 'AmazonS3') {
      error(400, 'InvalidParameterException', `unknown service code ${body.ServiceCode}`);
      return;
    }
    const matched = documents.filter((d) => (JSON.parse(d) as { serviceCode?: string }).serviceCode === body.ServiceCode && matches(d, body.Filters));
    const from = body.NextToken ? Number(Buffer.from(body.NextToken, 'base64url').toString('utf8').replace('offset:', '')) : 0;
    if (!Number.isInteger(from) || from < 0) {
      error(400, 'InvalidNextTokenException', 'the next token is not valid');
      return;
    }
    const size = Math.min(pageSize, body.MaxResults ?? pageSize);
    const page = matched.slice(from, from + size);
    const next = from + size < matched.length ? Buffer.from(`offset:${from + size}`).toString('base64url') : undefined;
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${requests.length}` });
    res.end(JSON.stringify({ FormatVersion: 'aws_v1', PriceList: page, ...(next ? { NextToken: next } : {}) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    setMode: (m) => {
      mode = m;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
