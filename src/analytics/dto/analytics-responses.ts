export interface UsageFigures {
  /** Charges recorded (one per use). */
  charges: number;
  /** Uses paid from the balance. */
  paid_uses: number;
  /** Uses covered by a free use: daily_free_uses + one_time_free_uses. */
  free_uses: number;
  daily_free_uses: number;
  one_time_free_uses: number;
  /** Balance consumed by charges, in minor units (credits). */
  credits_spent: number;
  /** Distinct accounts charged (for the totals: distinct over the whole range). */
  unique_charged_accounts: number;
  new_accounts: number;
  credit_checks: number;
  /** Checks answered `has_credit: false`. */
  denied_credit_checks: number;
}

export interface UsageDay extends UsageFigures {
  date: string;
}

export interface UsageReport {
  environment: string;
  start: string;
  end: string;
  days: UsageDay[];
  totals: UsageFigures;
}

export interface CreditsAddedByType {
  purchase: number;
  grant: number;
  refund: number;
  /** Net of positive and negative adjustments. */
  adjustment: number;
  total: number;
}

export interface RevenueFigures {
  purchases: number;
  purchase_amount_minor: number;
  /** Money received: the purchase amount. */
  revenue_minor: number;
  credits_added_minor: CreditsAddedByType;
}

export interface RevenueDay extends RevenueFigures {
  date: string;
}

export interface RevenueReport {
  environment: string;
  currency: string;
  start: string;
  end: string;
  days: RevenueDay[];
  totals: RevenueFigures;
}
