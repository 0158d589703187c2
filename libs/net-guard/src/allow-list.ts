import { CodedError } from '@lockstep/contracts';
import { AddressClass } from './address-class';
import { cidrContains, parseCidr, type Cidr, type IpAddress } from './ip-address';

/** Name of the setting that lists non-public destinations the notifier may deliver to (the default setting name in messages). */
export const ALLOWED_DESTINATIONS_SETTING = 'NOTIFIER_ALLOWED_DESTINATIONS';

/** Error codes of allow-list parsing. */
export const AllowListErrorCode = { Invalid: 'ALLOW_LIST_INVALID' } as const;
export type AllowListErrorCode = (typeof AllowListErrorCode)[keyof typeof AllowListErrorCode];

/** The allow-list setting has an entry that is neither a keyword nor a CIDR. */
export class InvalidAllowListError extends CodedError<typeof AllowListErrorCode.Invalid> {
  override name = 'InvalidAllowListError';
  constructor(
    readonly entry: string,
    readonly setting: string,
    options?: { cause?: unknown },
  ) {
    super(
      AllowListErrorCode.Invalid,
      `${setting}: "${entry}" is not an address class keyword (${AllowList.keywords.join(', ')}) nor a CIDR ` +
        `such as 10.1.0.0/16 or fd12::/64; fix the entry or remove it`,
      options,
    );
  }
}

/**
 * Non-public destinations that are nevertheless allowed: address-class keywords (`loopback`,
 * `private`, `cgnat`, `link-local`, `unspecified`, `multicast`, `metadata`, `reserved`) and CIDRs.
 * Public addresses are always allowed. `metadata` is deliberately separate from `link-local`
 * and `private`: allowing a network never opens the cloud metadata endpoints by accident.
 */
export class AllowList {
  /** Keywords accepted in the setting. */
  static readonly keywords: readonly string[] = Object.values(AddressClass).filter((c) => c !== AddressClass.Public);

  private constructor(
    private readonly classes: ReadonlySet<AddressClass>,
    private readonly ranges: readonly Cidr[],
    /** The entries as given, for logs. */
    readonly entries: readonly string[],
    /** The setting the entries come from, named in refusals (e.g. AGENT_ALLOWED_DESTINATIONS). */
    readonly setting: string = ALLOWED_DESTINATIONS_SETTING,
  ) {}

  /** The empty allow-list: only public destinations. */
  static none(settingName = ALLOWED_DESTINATIONS_SETTING): AllowList {
    return new AllowList(new Set(), [], [], settingName);
  }

  /**
   * Parses a comma/whitespace-separated setting (`"loopback, 10.1.0.0/16"`) or a list of entries.
   * Throws InvalidAllowListError naming `setting` when an entry is malformed.
   */
  static parse(setting: string | readonly string[] | undefined, settingName = ALLOWED_DESTINATIONS_SETTING): AllowList {
    const entries = (typeof setting === 'string' ? setting.split(/[\s,]+/) : (setting ?? []))
      .map((e) => e.trim())
      .filter(Boolean);
    const classes = new Set<AddressClass>();
    const ranges: Cidr[] = [];
    for (const entry of entries) {
      const keyword = entry.toLowerCase();
      if (AllowList.keywords.includes(keyword)) {
        classes.add(keyword as AddressClass);
        continue;
      }
      const range = parseCidr(entry);
      if (!range) throw new InvalidAllowListError(entry, settingName);
      ranges.push(range);
    }
    return new AllowList(classes, ranges, entries, settingName);
  }

  /**
   * True when a destination of this address and class may be contacted. A cloud metadata
   * endpoint needs the `metadata` keyword or its exact address (a /32 or /128): a CIDR that
   * merely contains it (169.254.0.0/16, fd00::/8, 100.64.0.0/10) does not open it.
   */
  allows(ip: IpAddress, cls: AddressClass): boolean {
    if (cls === AddressClass.Public || this.classes.has(cls)) return true;
    const ranges = cls === AddressClass.Metadata ? this.ranges.filter(isSingleAddress) : this.ranges;
    return ranges.some((range) => cidrContains(range, ip));
  }
}

/** A CIDR naming exactly one address. */
const isSingleAddress = (range: Cidr): boolean => range.prefix === (range.family === 4 ? 32 : 128);
