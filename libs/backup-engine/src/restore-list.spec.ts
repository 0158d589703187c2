import { leaveTablesOut } from './restore-list';

/** `pg_restore --list --verbose` of a dump with a kept table (audit_log), its trigger function and a sequence, and another table. */
const LISTING = `;
; Selected TOC Entries:
;
3351; 0 0 ENCODING - ENCODING 
216; 1255 63008 FUNCTION public audit_log_append_only() postgres
217; 1255 63009 FUNCTION public shared_fn() postgres
214; 1259 63002 TABLE public audit_log postgres
215; 1259 63010 TABLE public rollouts postgres
218; 1259 63011 SEQUENCE public audit_log_seq_seq postgres
219; 0 0 SEQUENCE OWNED BY public audit_log_seq_seq postgres
;\tdepends on: 218 214
3347; 0 63002 TABLE DATA public audit_log postgres
;\tdepends on: 214
3348; 0 63010 TABLE DATA public rollouts postgres
;\tdepends on: 215
3349; 0 0 SEQUENCE SET public audit_log_seq_seq postgres
;\tdepends on: 218
3202; 2606 63006 CONSTRAINT public audit_log audit_log_pkey postgres
;\tdepends on: 214
3203; 1259 63007 INDEX public ix_audit_log_at postgres
;\tdepends on: 214
3204; 2620 63009 TRIGGER public audit_log audit_log_append_only postgres
;\tdepends on: 214 216
3205; 2620 63012 TRIGGER public audit_log uses_shared postgres
;\tdepends on: 214 217
3206; 2620 63013 TRIGGER public rollouts uses_shared postgres
;\tdepends on: 215 217
`;

describe(leaveTablesOut.name, () => {
  it('comments out the table, its data, constraints, indexes, triggers, owned sequence and its own trigger function', () => {
    const sut = leaveTablesOut(LISTING, ['public.audit_log', 'public.api_tokens']);

    const kept = sut.list.split('\n').filter((l) => /^\d+;/.test(l));
    expect(sut.leftOut).toEqual(['public.audit_log']);
    expect(kept).toEqual([
      '3351; 0 0 ENCODING - ENCODING ',
      '217; 1255 63009 FUNCTION public shared_fn() postgres',
      '215; 1259 63010 TABLE public rollouts postgres',
      '3348; 0 63010 TABLE DATA public rollouts postgres',
      '3206; 2620 63013 TRIGGER public rollouts uses_shared postgres',
    ]);
  });

  it('leaves a listing without those tables as it is', () => {
    const sut = leaveTablesOut(LISTING, ['public.api_tokens']);

    expect(sut).toEqual({ list: LISTING, leftOut: [] });
  });
});
