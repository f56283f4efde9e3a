import { createHmac, timingSafeEqual } from 'node:crypto';

/** MLflow's delivery headers. */
export const SIGNATURE_HEADER = 'X-MLflow-Signature';
export const TIMESTAMP_HEADER = 'X-MLflow-Timestamp';
export const DELIVERY_ID_HEADER = 'X-MLflow-Delivery-Id';

/**
 * MLflow's webhook signature: `v1,` and the base64 HMAC-SHA256, keyed by the webhook's secret, of
 * `<delivery id>.<unix seconds>.<body>` (the Standard Webhooks scheme).
 */
export function signDelivery(secret: string, deliveryId: string, timestamp: string, body: string): string {
  const mac = createHmac('sha256', secret).update(`${deliveryId}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Whether `signature` is the one `signDelivery` makes for these inputs (constant-time). */
export function verifyDelivery(
  secret: string,
  deliveryId: string,
  timestamp: string,
  body: string,
  signature: string,
): boolean {
  const expected = Buffer.from(signDelivery(secret, deliveryId, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
