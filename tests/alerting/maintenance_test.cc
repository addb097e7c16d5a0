// Maintenance windows: parsing (config/maintenance.h), expansion into instants across DST,
// scopes, merged report intervals, the active window, and a brute-force oracle that walks wall
// clocks minute by minute (alerting/maintenance.h).
#include "alerting/maintenance.h"

#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include <date/date.h>

#include "config/time_text.h"

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;
using config::MaintenanceWindow;

namespace {

config::MaintenanceFields F(std::optional<std::string> from, std::optional<std::string> to,
                            std::optional<std::string> weekly, std::optional<std::string> monthly,
                            std::optional<std::string> time) {
  config::MaintenanceFields f;
  f.from = from;
  f.to = to;
  f.weekly = weekly;
  f.monthly = monthly;
  f.time = time;
  return f;
}
const std::nullopt_t no = std::nullopt;

TimePoint utc(const char* text) {
  auto t = config::parse_rfc3339(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(TimePoint{});
}

MaintenanceWindow parsed(config::MaintenanceFields f, std::string client = "acme",
                         std::string zone = "Europe/London") {
  MaintenanceWindow w;
  w.client = client;
  w.id = "w";
  auto problem = config::parse_maintenance(f, w);
  EXPECT_FALSE(problem) << (problem ? problem->key + ": " + problem->message : "");
  if (!problem) {
    auto p2 = config::resolve_once(w, zone);
    EXPECT_FALSE(p2) << (p2 ? p2->message : "");
  }
  return w;
}

const date::time_zone& zone(const char* name) { return *date::locate_zone(name); }

std::vector<WindowInterval> occ(const MaintenanceWindow& w, const char* z, const char* from, const char* to) {
  return occurrences(w, zone(z), utc(from), utc(to));
}

TEST(MaintenanceParse, FormsAndProblems) {
  MaintenanceWindow w;
  ASSERT_FALSE(config::parse_maintenance(F(no, no, "sat-sun 02:00-04:00", no, no), w));
  EXPECT_EQ(w.kind, MaintenanceWindow::Kind::weekly);
  EXPECT_TRUE(w.days[5] && w.days[6] && !w.days[4]);
  EXPECT_EQ(w.start_minute, 120);
  EXPECT_EQ(w.end_minute, 240);
  ASSERT_FALSE(config::parse_maintenance(F(no, no, "Mon, thu", no, "22:00-02:00"), w));
  EXPECT_TRUE(w.days[0] && w.days[3] && !w.days[1]);
  EXPECT_EQ(w.end_minute, 120);  // overnight
  ASSERT_FALSE(config::parse_maintenance(F(no, no, no, "First Wednesday 22:00-23:00", no), w));
  EXPECT_EQ(w.kind, MaintenanceWindow::Kind::monthly);
  EXPECT_EQ(w.ordinal, 1);
  EXPECT_EQ(w.weekday, 2);
  ASSERT_FALSE(config::parse_maintenance(F(no, no, no, "last fri", "01:00-03:00"), w));
  EXPECT_EQ(w.ordinal, -1);
  EXPECT_EQ(w.weekday, 4);

  auto problem = [](config::MaintenanceFields f) {
    MaintenanceWindow x;
    auto p = config::parse_maintenance(f, x);
    return p ? p->key + ": " + p->message : std::string("none");
  };
  EXPECT_EQ(problem(F(no, no, no, "fifth monday 01:00-02:00", no)).substr(0, 9), "monthly: ");
  EXPECT_NE(problem(F(no, no, "funday 01:00-02:00", no, no)).find("'funday' is not a day"), std::string::npos);
  EXPECT_NE(problem(F(no, no, "sun-sat 01:00-02:00", no, no)).find("not a day"), std::string::npos);
  EXPECT_EQ(problem(F(no, no, "sat", no, no)).substr(0, 14), "time: missing:");
  EXPECT_NE(problem(F(no, no, "sat", no, "02:00-02:00")).find("start equals end"), std::string::npos);
  EXPECT_NE(problem(F(no, no, "sat 01:00-02:00", no, "03:00-04:00")).find("given twice"), std::string::npos);
  EXPECT_NE(problem(F("2026-12-05 22:00", no, no, no, no)).find("to: missing"), std::string::npos);
  EXPECT_NE(problem(F("tomorrow", "2026-12-05 22:00", no, no, no)).find("from: bad time"), std::string::npos);
  EXPECT_NE(problem(F("2026-12-05 22:00", "2026-12-06 01:00", "sat", no, no)).find("not several"),
            std::string::npos);
  EXPECT_NE(problem(F(no, no, no, no, no)).find("needs from and to"), std::string::npos);

  MaintenanceWindow once;
  ASSERT_FALSE(config::parse_maintenance(F("2026-12-05 22:00", "2026-12-05 21:00", no, no, no), once));
  auto p = config::resolve_once(once, "Europe/London");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key, "to");
  EXPECT_NE(p->message.find("at or before it starts"), std::string::npos);
}

TEST(MaintenanceParse, JsonBodyRoundTrip) {
  MaintenanceWindow w;
  auto j = nlohmann::json::parse(R"({"client":"acme","site":"www","weekly":["sat","sun"],
                                     "time":"02:00-04:00","reason":"backups","by":"ops"})");
  ASSERT_FALSE(config::maintenance_from_json(j, w));
  EXPECT_EQ(w.scope(), "acme/www");
  EXPECT_EQ(w.created_by, "ops");
  MaintenanceWindow back;
  ASSERT_FALSE(config::maintenance_from_json(w.to_json(), back));  // the stored form reads back
  EXPECT_EQ(back.days, w.days);
  EXPECT_EQ(back.start_minute, 120);
  EXPECT_EQ(back.reason, "backups");

  MaintenanceWindow bad1, bad2, bad3;
  auto p = config::maintenance_from_json(nlohmann::json::parse(R"({"client":"acme","colour":"red"})"), bad1);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key, "colour");
  p = config::maintenance_from_json(nlohmann::json::parse(R"({"client":"acme","check":"http","weekly":"sat 01:00-02:00"})"), bad2);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key, "check");
  p = config::maintenance_from_json(nlohmann::json::parse(R"({"weekly":"sat 01:00-02:00"})"), bad3);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key, "client");
}

TEST(MaintenanceTimes, LocalOneOffInTheClientsZoneAcrossDst) {
  // Spring forward in London, Sunday 29 March 2026: 01:00 GMT -> 02:00 BST.
  EXPECT_EQ(config::parse_window_time("2026-03-29 00:30", "Europe/London"), utc("2026-03-29T00:30:00Z"));
  EXPECT_EQ(config::parse_window_time("2026-03-29 01:30", "Europe/London"), utc("2026-03-29T01:00:00Z"));  // gap
  EXPECT_EQ(config::parse_window_time("2026-03-29T03:00", "Europe/London"), utc("2026-03-29T02:00:00Z"));
  // Fall back, Sunday 25 October 2026: 01:30 happens twice; the first (BST) is taken.
  EXPECT_EQ(config::parse_window_time("2026-10-25 01:30", "Europe/London"), utc("2026-10-25T00:30:00Z"));
  // An instant with an offset ignores the zone.
  EXPECT_EQ(config::parse_window_time("2026-10-25T01:30:00+05:30", "Europe/London"), utc("2026-10-24T20:00:00Z"));
  EXPECT_FALSE(config::parse_window_time("2026-02-30 01:00", "Europe/London"));
  EXPECT_FALSE(config::parse_window_time("2026-02-03 25:00", "Europe/London"));
  // Years a nanosecond clock cannot hold are bad times, not an overflow (found by fuzzing).
  EXPECT_FALSE(config::parse_window_time("9481-03-29 00:30", "Europe/London"));
  EXPECT_FALSE(config::parse_window_time("9481-03-29T00:30:00Z", "Europe/London"));
  EXPECT_TRUE(config::parse_window_time("2200-12-31 23:59", "UTC"));
}

TEST(MaintenanceTimes, WeeklyAcrossSpringForwardAndFallBack) {
  auto w = parsed(F(no, no, "sun", no, "00:30-01:30"));
  // 29 March: 01:30 local does not exist: the window ends where the gap starts (01:00Z).
  auto o = occ(w, "Europe/London", "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].from, utc("2026-03-29T00:30:00Z"));
  EXPECT_EQ(o[0].to, utc("2026-03-29T01:00:00Z"));
  // A week earlier (GMT) and later (BST): a full hour.
  o = occ(w, "Europe/London", "2026-03-22T00:00:00Z", "2026-03-23T00:00:00Z");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].to - o[0].from, 1h);
  o = occ(w, "Europe/London", "2026-04-04T00:00:00Z", "2026-04-06T00:00:00Z");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].from, utc("2026-04-04T23:30:00Z"));  // Sunday 00:30 BST is Saturday 23:30Z

  // 25 October: 00:30 BST to 02:30 GMT is three hours long.
  auto w2 = parsed(F(no, no, "sun", no, "00:30-02:30"));
  o = occ(w2, "Europe/London", "2026-10-24T12:00:00Z", "2026-10-26T00:00:00Z");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].from, utc("2026-10-24T23:30:00Z"));
  EXPECT_EQ(o[0].to, utc("2026-10-25T02:30:00Z"));

  // Overnight Saturday 22:00 -> Sunday 02:00 in New York over its fall back (1 November 2026):
  // 22:00 EDT to 02:00 EST is five hours.
  auto w3 = parsed(F(no, no, "sat 22:00-02:00", no, no), "acme", "America/New_York");
  o = occ(w3, "America/New_York", "2026-10-31T12:00:00Z", "2026-11-02T00:00:00Z");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].from, utc("2026-11-01T02:00:00Z"));
  EXPECT_EQ(o[0].to, utc("2026-11-01T07:00:00Z"));
}

TEST(MaintenanceTimes, MonthlyOrdinalWeekdays) {
  auto first_wed = parsed(F(no, no, no, "first wednesday 22:00-23:00", no));
  auto o = occ(first_wed, "Europe/London", "2026-06-15T00:00:00Z", "2027-01-31T00:00:00Z");
  ASSERT_EQ(o.size(), 7u);  // July .. January
  EXPECT_EQ(o[0].from, utc("2026-07-01T21:00:00Z"));  // 22:00 BST
  EXPECT_EQ(o[5].from, utc("2026-12-02T22:00:00Z"));  // 22:00 GMT
  EXPECT_EQ(o[6].from, utc("2027-01-06T22:00:00Z"));
  auto last_fri = parsed(F(no, no, no, "last friday", "22:00-23:00"), "acme", "America/New_York");
  o = occ(last_fri, "America/New_York", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].from, utc("2026-11-28T03:00:00Z"));  // Friday 27 November 22:00 EST
  auto fourth_mon = parsed(F(no, no, no, "fourth monday 09:00-10:00", no), "acme", "UTC");
  o = occ(fourth_mon, "UTC", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].from, utc("2026-02-23T09:00:00Z"));
}

TEST(MaintenanceSchedule, ScopesMergedIntervalsAndTheActiveWindow) {
  auto client_wide = parsed(F("2026-12-05 10:00", "2026-12-05 12:00", no, no, no));
  client_wide.id = "client";
  auto site_www = parsed(F("2026-12-05 11:30", "2026-12-05 13:00", no, no, no));
  site_www.id = "www";
  site_www.site = "www";
  auto check_tls = parsed(F("2026-12-05 13:00", "2026-12-05 14:00", no, no, no));
  check_tls.id = "tls";
  check_tls.site = "www";
  check_tls.check = "tls";
  auto other_client = parsed(F("2026-12-05 00:00", "2026-12-06 00:00", no, no, no), "other");
  MaintenanceSchedule s;
  s.set({client_wide, site_www, check_tls, other_client}, {{"acme", "Europe/London"}, {"other", "UTC"}});

  // The check www/tls: 10:00-12:00 and 11:30-13:00 merge, and 13:00-14:00 touches: one interval.
  auto iv = s.intervals("acme", "www", "tls", utc("2026-12-05T00:00:00Z"), utc("2026-12-06T00:00:00Z"));
  ASSERT_EQ(iv.size(), 1u);
  EXPECT_EQ(iv[0].from, utc("2026-12-05T10:00:00Z"));
  EXPECT_EQ(iv[0].to, utc("2026-12-05T14:00:00Z"));
  // The site: not the check's window.
  iv = s.intervals("acme", "www", "", utc("2026-12-05T00:00:00Z"), utc("2026-12-06T00:00:00Z"));
  ASSERT_EQ(iv.size(), 1u);
  EXPECT_EQ(iv[0].to, utc("2026-12-05T13:00:00Z"));
  // Another site of the client: only the client-wide one; clipped to the range asked.
  iv = s.intervals("acme", "shop", "http", utc("2026-12-05T11:00:00Z"), utc("2026-12-06T00:00:00Z"));
  ASSERT_EQ(iv.size(), 1u);
  EXPECT_EQ(iv[0].from, utc("2026-12-05T11:00:00Z"));
  EXPECT_EQ(iv[0].to, utc("2026-12-05T12:00:00Z"));

  // Active at 10:30 for www/tls: runs on without a gap to 14:00.
  auto a = s.active("acme", "www", "tls", utc("2026-12-05T10:30:00Z"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to, utc("2026-12-05T14:00:00Z"));
  a = s.active("acme", "www", "http", utc("2026-12-05T10:30:00Z"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to, utc("2026-12-05T13:00:00Z"));
  EXPECT_FALSE(s.active("acme", "shop", "http", utc("2026-12-05T12:00:00Z")));  // end is exclusive
  EXPECT_TRUE(s.active("acme", "shop", "http", utc("2026-12-05T11:59:59Z")));
  EXPECT_FALSE(s.active("acme", "www", "tls", utc("2026-12-05T09:59:59Z")));

  auto next = s.next(check_tls, utc("2026-12-01T00:00:00Z"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->from, utc("2026-12-05T13:00:00Z"));
  EXPECT_FALSE(s.next(check_tls, utc("2026-12-05T14:00:00Z")));
}

// Brute force: for random weekly and monthly windows in several zones, every few minutes over
// months, "in a window" from the expansion must equal the answer read off the local wall clock
// (the local date the occurrence started on and the minutes since its midnight). Instants
// within 26 h of a UTC offset change are skipped: there the wall clock is ambiguous or has a gap
// (the fixed cases above pin those down).
TEST(MaintenanceBruteForce, ExpansionMatchesTheWallClock) {
  std::mt19937 rng(20261204);
  const char* zones[] = {"Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                         "Pacific/Chatham"};
  int compared = 0;
  for (int round = 0; round < 60; ++round) {
    const char* zname = zones[round % 5];
    const auto& z = zone(zname);
    MaintenanceWindow w;
    w.id = "bf";
    w.client = "acme";
    w.start_minute = static_cast<int>(rng() % 96) * 15;
    do w.end_minute = static_cast<int>(rng() % 96) * 15 + 15; while (w.end_minute == w.start_minute);
    const bool weekly = round % 2 == 0;
    if (weekly) {
      w.kind = MaintenanceWindow::Kind::weekly;
      for (auto& d : w.days) d = rng() % 2 == 0;
    } else {
      w.kind = MaintenanceWindow::Kind::monthly;
      w.ordinal = static_cast<int>(rng() % 5) + 1;
      if (w.ordinal == 5) w.ordinal = -1;
      w.weekday = static_cast<int>(rng() % 7);
    }
    auto starts_on = [&](date::local_days d) {
      if (weekly) return w.days[static_cast<size_t>((date::weekday(d).c_encoding() + 6) % 7)];
      date::year_month_day ymd(d);
      date::weekday wd{static_cast<unsigned>((w.weekday + 1) % 7)};
      date::local_days target =
          w.ordinal < 0 ? date::local_days(date::year_month_weekday_last(ymd.year(), ymd.month(), date::weekday_last(wd)))
                        : date::local_days(date::year_month_weekday(ymd.year(), ymd.month(), wd[static_cast<unsigned>(w.ordinal)]));
      return target == d;
    };
    const int end = w.end_minute <= w.start_minute ? w.end_minute + 1440 : w.end_minute;
    const TimePoint begin = utc("2026-01-01T00:00:00Z") + std::chrono::hours(24 * (rng() % 300));
    const TimePoint stop = begin + std::chrono::hours(24 * 45);
    auto all = occurrences(w, z, begin, stop);
    for (TimePoint t = begin; t < stop; t += 7min) {
      auto info = z.get_info(t);
      // In seconds: a zone with no later change ends in year 32767, beyond nanoseconds' range.
      const auto ts = std::chrono::time_point_cast<std::chrono::seconds>(t);
      if (ts - info.begin < 26h || info.end - ts < 26h) continue;
      auto local = z.to_local(t);
      auto today = date::floor<date::days>(local);
      auto minute = static_cast<int>(date::floor<std::chrono::minutes>(local - today).count());
      bool expect = (starts_on(today) && minute >= w.start_minute && minute < end) ||
                    (starts_on(today - date::days(1)) && minute + 1440 >= w.start_minute && minute + 1440 < end);
      bool got = std::any_of(all.begin(), all.end(), [&](const WindowInterval& i) { return i.from <= t && t < i.to; });
      ASSERT_EQ(got, expect) << zname << " " << config::rfc3339(t) << " round " << round;
      ++compared;
    }
  }
  std::cout << compared << " instants compared with the wall-clock oracle\n";
  EXPECT_GT(compared, 400000);
}

}  // namespace
