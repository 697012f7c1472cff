package io.datis.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabasePerTestTest {

  @RegisterExtension static DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final List<String> databasesSeen = new ArrayList<>();
  private static Connection leftOpen;

  @BeforeEach
  void createTheSchema() {
    pg.execute("CREATE TABLE orders (id int PRIMARY KEY, total numeric)");
  }

  @Test
  @Order(1)
  void aTestGetsItsOwnDatabaseEverywhere() {
    String database = pg.database();
    databasesSeen.add(database);

    assertThat(database).startsWith("datis_test_");
    assertThat(pg.query("SELECT current_database()", row -> row.getString(1)))
        .containsExactly(database);
    assertThat(pg.jdbcUrl()).endsWith("/" + database);
    assertThat(pg.source().database()).isEqualTo(database);
    assertThat(pg.toString()).contains("database=" + database);
  }

  @Test
  @Order(2)
  void leavesASlotARowAndAnOpenSessionBehind() throws Exception {
    databasesSeen.add(pg.database());
    pg.execute(
        "INSERT INTO orders VALUES (1, 10)",
        "SELECT pg_create_logical_replication_slot('left_behind', 'pgoutput')");
    leftOpen = pg.connect();

    // What the next test must not see is really there, in this test's own database.
    assertThat(pg.database()).startsWith("datis_test_");
    assertThat(pg.query("SELECT count(*) FROM orders", row -> row.getInt(1))).containsExactly(1);
    assertThat(
            pg.query(
                "SELECT database FROM pg_replication_slots WHERE slot_name = 'left_behind'",
                row -> row.getString(1)))
        .containsExactly(pg.database());
    assertThat(leftOpen.getCatalog()).isEqualTo(pg.database());
    assertThat(leftOpen.isValid(1)).isTrue();
  }

  @Test
  @Order(3)
  void theNextTestSeesNoneOfIt() {
    databasesSeen.add(pg.database());

    assertThat(pg.query("SELECT count(*) FROM orders", row -> row.getInt(1))).containsExactly(0);
    assertThat(pg.query("SELECT slot_name FROM pg_replication_slots", row -> row.getString(1)))
        .isEmpty();
    assertThat(databasesSeen).doesNotHaveDuplicates().hasSize(3);
  }

  @AfterAll
  static void everyTestDatabaseIsDroppedAndTheClassDatabaseIsBack() throws Exception {
    assertThat(pg.database()).isEqualTo("postgres");
    assertThat(
            pg.query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'datis_test_%'",
                row -> row.getString(1)))
        .isEmpty();
    assertThat(leftOpen.isValid(1)).as("the session left open was ended").isFalse();
    leftOpen.close();
  }
}
