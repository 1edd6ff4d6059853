-- Value normalisation shared by every source's staging SQL.
-- Loaded into each run's connection by connectors.normalise.register(); all macros are prefixed `hd_`.

-- Trim ASCII and full-width white space; an empty field is NULL. It runs on every cell of every delivery, and
-- a character-set trim costs three times a plain one (it decodes every character of the cell against the set):
-- a cell that neither starts nor ends with such a space, nearly every one, is kept as it is, which a
-- regular expression anchored at both ends tells at a fraction of the cost (bench/ingest_profile.py).
create or replace macro hd_clean(s) as
    case
        when regexp_matches(s, '^[ \t\n\x0B\f\r\x{00A0}\x{3000}]|[ \t\n\x0B\f\r\x{00A0}\x{3000}]$')
            then nullif(trim(s, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), '')
        else nullif(s, '')
    end;

-- Full-width digits and letters to ASCII, white space anywhere removed, upper case. An ID already written as
-- 17 digits and a digit or X, nearly every one, is that already: it skips the replacing, which cost more than
-- the rest of an ID's typing together (bench/ingest_profile.py).
create or replace macro hd_id_compact(s) as
    case
        when regexp_full_match(s, '[0-9]{17}[0-9X]') then s
        else nullif(upper(translate(
            regexp_replace(s, '[\s\x{3000}\x{00A0}]', '', 'g'),
            '０１２３４５６７８９ＸｘＥｅ．＋',
            '0123456789XXEe.+'
        )), '')
    end;

-- Spreadsheet damage: an ID turned into a floating point number (4.30481199001015E+17). Unrecoverable.
create or replace macro hd_id_sci_notation(s) as
    coalesce(regexp_full_match(hd_id_compact(s), '[0-9](\.[0-9]+)?E\+?[0-9]+'), false);

-- 18 upper-case characters, or NULL when the value cannot be read as a citizen ID.
-- A 15-digit first-generation number gets `19` after the region code and its check character.
create or replace macro hd_id_norm(s) as
    case
        when regexp_full_match(hd_id_compact(s), '[0-9]{17}[0-9X]') then hd_id_compact(s)
        when regexp_full_match(hd_id_compact(s), '[0-9]{15}') then
            left(hd_id_compact(s), 6) || '19' || right(hd_id_compact(s), 9)
            || hd_ric_check_char(left(hd_id_compact(s), 6) || '19' || right(hd_id_compact(s), 9))
        else null
    end;

-- The birth date an ID carries (positions 7-14), NULL when they are not a real calendar date.
create or replace macro hd_id_birth(id18) as
    try_strptime(substr(id18, 7, 8), '%Y%m%d')::date;

-- Well formed: 17 digits, the right ISO 7064 MOD 11-2 check character, and a real birth date from 1890. The
-- region code is deliberately not checked against the birth year (see the spec, section 3).
create or replace macro hd_id_well_formed(id18) as
    coalesce(
        regexp_full_match(id18, '[0-9]{17}[0-9X]')
        and hd_ric_check_char(left(id18, 17)) = right(id18, 1)
        and hd_id_birth(id18) is not null
        and substr(id18, 7, 4)::int >= 1890,
        false
    );

-- Valid: well formed, and born not after `not_after` (the typing compares with the date of the row's delivery,
-- connectors/typing_sql.py).
create or replace macro hd_id_valid(id18, not_after) as
    coalesce(hd_id_well_formed(id18) and hd_id_birth(id18) <= not_after, false);

-- The date formats departments send, including spreadsheet date cells (read as `2026-11-03 00:00:00`).
-- Fast path first: most values are ISO dates, which a plain cast reads.
create or replace macro hd_date(s) as
    case
        when hd_clean(s) is null then null
        else coalesce(
            try_cast(hd_clean(s) as date),
            try_cast(try_strptime(
                regexp_replace(hd_clean(s), '\s+00:00:00(\.0+)?$', ''),
                ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y年%m月%d日', '%Y.%m.%d']
            ) as date)
        )
    end;

-- A date outside any plausible range is treated as unparseable, not as a value.
create or replace macro hd_date_plausible(s) as
    case when year(hd_date(s)) between 1890 and 2200 then hd_date(s) end;

-- A month (the first day of it): `202610`, `2026-10`, `2026/10`, `2026年10月`, or any date hd_date reads,
-- such as a spreadsheet date cell, whose month counts. Outside the plausible years it is unparseable.
create or replace macro hd_month(s) as
    case when hd_clean(s) is null then null
    else (
        select case when year(m) between 1890 and 2200 then m end
        from (select coalesce(
            try_cast(try_strptime(
                translate(hd_clean(s), '０１２３４５６７８９', '0123456789'),
                ['%Y%m', '%Y-%m', '%Y/%m', '%Y年%m月', '%Y.%m']
            ) as date),
            cast(date_trunc('month', hd_date(s)) as date)
        ) as m)
    ) end;

-- Yuan amounts: `1234.5`, `1,234.50`, `1234.50元`, `￥1234`; empty is unknown (NULL), never zero.
create or replace macro hd_amount(s) as
    coalesce(
        try_cast(hd_clean(s) as decimal(14, 2)),
        try_cast(
            regexp_replace(
                translate(hd_clean(s), '０１２３４５６７８９．，－', '0123456789.,-'),
                '[,\s元¥￥]', '', 'g'
            ) as decimal(14, 2)
        )
    );

create or replace macro hd_number(s) as
    try_cast(translate(hd_clean(s), '０１２３４５６７８９．', '0123456789.') as double);

create or replace macro hd_int(s) as
    case
        when hd_number(s) = floor(hd_number(s)) and abs(hd_number(s)) < 1e9 then hd_number(s)::bigint
    end;

create or replace macro hd_grade_num(g) as
    case hd_clean(g) when '一级' then 1 when '二级' then 2 when '三级' then 3 when '四级' then 4 end;
