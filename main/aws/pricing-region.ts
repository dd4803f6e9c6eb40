/** Where the AWS Pricing API answers from (it is not served in every region). */

/** The Pricing API is served only from these regions; any of them answers for every region. */
export const PRICING_API_REGIONS = ['us-east-1', 'eu-central-1', 'ap-south-1'] as const;

/** The Pricing API endpoint region nearest to `region`. */
export function pricingApiRegion(region: string): (typeof PRICING_API_REGIONS)[number] {
  if (/^(eu|me|af|il)-/.test(region)) return 'eu-central-1';
  if (/^ap-/.test(region)) return 'ap-south-1';
  return 'us-east-1';
}
