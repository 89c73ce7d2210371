/**
 * Black-Scholes for the simulated options market: price, greeks and a simple
 * volatility smile. Rates are zero (options on a USD index, priced in USD).
 */

export const YEAR_MS = 365 * 86_400_000;
/** Curvature of the smile: extra volatility per unit of squared log-moneyness. */
const SMILE_CURVATURE = 0.8;
/** Put skew: extra volatility per unit of negative log-moneyness. */
const SMILE_SKEW = 0.15;
const MIN_VOL = 0.05;

export interface OptionQuote {
  readonly price: number;
  readonly delta: number;
  readonly gamma: number;
  /** Per 1 volatility point. */
  readonly vega: number;
  /** Per day. */
  readonly theta: number;
  /** Per 1 % rate. */
  readonly rho: number;
}

/** Standard normal density. */
function pdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF (Abramowitz-Stegun 26.2.17, |error| < 7.5e-8). */
export function cdf(x: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(x));
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const upper = pdf(x) * poly;
  return x >= 0 ? 1 - upper : upper;
}

/** Implied volatility of a strike: the ATM level plus skew and curvature in log-moneyness. */
export function smileVol(atmVol: number, spot: number, strike: number, years: number): number {
  const k = Math.log(strike / spot) / Math.sqrt(Math.max(years, 1 / 365));
  return Math.max(MIN_VOL, atmVol + SMILE_CURVATURE * 0.05 * k * k - SMILE_SKEW * 0.1 * k);
}

export function blackScholes(type: 'CALL' | 'PUT', spot: number, strike: number, years: number, vol: number): OptionQuote {
  if (years <= 0 || vol <= 0) {
    const intrinsic = type === 'CALL' ? Math.max(spot - strike, 0) : Math.max(strike - spot, 0);
    const itm = intrinsic > 0 ? 1 : 0;
    return { price: intrinsic, delta: type === 'CALL' ? itm : -itm, gamma: 0, vega: 0, theta: 0, rho: 0 };
  }
  const sqrtT = Math.sqrt(years);
  const d1 = (Math.log(spot / strike) + 0.5 * vol * vol * years) / (vol * sqrtT);
  const d2 = d1 - vol * sqrtT;
  const call = type === 'CALL';
  const price = call ? spot * cdf(d1) - strike * cdf(d2) : strike * cdf(-d2) - spot * cdf(-d1);
  return {
    price: Math.max(price, 0),
    delta: call ? cdf(d1) : cdf(d1) - 1,
    gamma: pdf(d1) / (spot * vol * sqrtT),
    vega: (spot * pdf(d1) * sqrtT) / 100,
    theta: -(spot * pdf(d1) * vol) / (2 * sqrtT) / 365,
    rho: ((call ? 1 : -1) * strike * years * cdf(call ? d2 : -d2)) / 100,
  };
}
