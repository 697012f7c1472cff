package io.datis.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A primary with a physical standby: the standby replays what the primary commits, synchronizes the
 * primary's failover slots, and, promoted after the primary crashed, has the data and the slot.
 */
class DatisPostgresStandbyTest {

  // [standby]
  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withStandby();
  // [standby]

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aPromotedStandbyHasTheCommittedRowsAndTheSynchronizedFailoverSlot() {
    DatisPostgres standby = pg.standby();
    assertThat(standby.port()).isNotEqualTo(pg.port());
    assertThat(standby.query("SELECT pg_is_in_recovery()", r -> r.getBoolean(1)))
        .containsExactly(true);
    assertThat(pg.query("SHOW synchronized_standby_slots", r -> r.getString(1)))
        .containsExactly("datis_standby");

    pg.execute(
        "CREATE TABLE public.accounts (id int PRIMARY KEY, balance int)",
        "CREATE PUBLICATION accounts_pub FOR TABLE public.accounts",
        "SELECT pg_create_logical_replication_slot('accounts_slot', 'pgoutput', false, false,"
            + " true)",
        "INSERT INTO public.accounts SELECT g, 100 FROM generate_series(1, 50) g");
    // A consumer reads and confirms: only then is the slot synchronized for good.
    List<Integer> read =
        pg.query(
            "SELECT count(*)::int FROM pg_logical_slot_get_binary_changes('accounts_slot', NULL,"
                + " NULL, 'proto_version', '1', 'publication_names', 'accounts_pub')",
            r -> r.getInt(1));
    assertThat(read.get(0)).isPositive();
    String confirmed =
        pg.query(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
                    + " WHERE slot_name = 'accounts_slot'",
                r -> r.getString(1))
            .get(0);
    // The standby makes the synchronized slot its own once the primary's slot has moved past a
    // point the standby knows to be consistent: a running-transactions record, which the server
    // writes every 15 s, asked for here at once.
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              pg.query("SELECT pg_log_standby_snapshot()::text", r -> r.getString(1));
              pg.query(
                  "SELECT count(*) FROM pg_logical_slot_get_binary_changes('accounts_slot', NULL,"
                      + " NULL, 'proto_version', '1', 'publication_names', 'accounts_pub')",
                  r -> r.getInt(1));
              assertThat(
                      standby.query(
                          "SELECT synced AND NOT temporary AND confirmed_flush_lsn >= '"
                              + confirmed
                              + "'::pg_lsn FROM pg_replication_slots"
                              + " WHERE slot_name = 'accounts_slot'",
                          r -> r.getBoolean(1)))
                  .containsExactly(true);
            });
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(standby.query("SELECT count(*) FROM public.accounts", r -> r.getInt(1)))
                    .containsExactly(50));

    pg.stopImmediately();
    assertThat(pg.isRunning()).isFalse();
    standby.promote();

    assertThat(standby.query("SELECT pg_is_in_recovery()", r -> r.getBoolean(1)))
        .containsExactly(false);
    standby.execute("INSERT INTO public.accounts VALUES (51, 0)");
    assertThat(standby.query("SELECT count(*) FROM public.accounts", r -> r.getInt(1)))
        .containsExactly(51);
    assertThat(
            standby.query(
                "SELECT slot_type || ' failover=' || failover FROM pg_replication_slots"
                    + " WHERE slot_name = 'accounts_slot'",
                r -> r.getString(1)))
        .containsExactly("logical failover=true");
    assertThat(
            standby.query(
                "SELECT count(*)::int FROM pg_logical_slot_get_binary_changes('accounts_slot',"
                    + " NULL, NULL, 'proto_version', '1', 'publication_names', 'accounts_pub')"
                    + " WHERE get_byte(data, 0) = ascii('I')",
                r -> r.getInt(1)))
        .as("inserts read from the promoted standby's slot: the new row only, none read before")
        .containsExactly(1);
  }

  @Test
  void promoteIsForTheStandbyAndWithStandbyForEmbeddedServers() {
    assertThatThrownBy(pg::promote)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("pg.standby().promote()");
    assertThatThrownBy(() -> DatisPostgres.embedded().standby())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("withStandby()");
  }
}
