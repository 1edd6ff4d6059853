-- The center's own holiday list, for years the chinese-calendar package does not know yet (`hedui calendar load`).
-- Before migrations were recorded, `load_calendar_file` created it on first use.
create table if not exists ref.calendar_days (
    day date primary key,
    is_workday boolean not null,
    source varchar
);
comment on table ref.calendar_days is 'Holidays and adjusted working days the center loaded for years the built-in official calendar does not know';
comment on column ref.calendar_days.day is 'The calendar day';
comment on column ref.calendar_days.is_workday is 'TRUE for an adjusted working day (班), FALSE for a public holiday (休)';
comment on column ref.calendar_days.source is 'The file the day was loaded from';
