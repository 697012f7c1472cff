package io.datis.samples.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class QuickstartTest {

  @Test
  void printsTheFourChangesInCommitOrder() throws Exception {
    ByteArrayOutputStream output = new ByteArrayOutputStream();

    int received = Quickstart.run(new PrintStream(output, true, StandardCharsets.UTF_8));

    assertThat(received).isEqualTo(4);
    assertThat(output.toString(StandardCharsets.UTF_8).lines())
        .containsExactly(
            "INSERT public.orders {id=1, item=coffee, status=new}",
            "INSERT public.orders {id=2, item=tea, status=new}",
            "UPDATE public.orders {id=1, item=coffee, status=paid}",
            "DELETE public.orders {id=2}");
  }
}
