// The one theme every shared screen is drawn in. The font family is a parameter: the Android
// shell passes its own (res/font, or the system's), the gallery and the tests pass DejaVu Sans
// loaded from this module's resources (fonts/), so that renders do not depend on the machine.
package id.perlinsos.screens

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Typography
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.text.font.FontFamily

private val colors = lightColorScheme(
    primary = Color(0xFF0B6A5B),
    onPrimary = Color.White,
    primaryContainer = Color(0xFFA6F2DD),
    onPrimaryContainer = Color(0xFF00201A),
    secondaryContainer = Color(0xFFCDE8DF),
    onSecondaryContainer = Color(0xFF06201A),
    tertiaryContainer = Color(0xFFFFE08A),
    onTertiaryContainer = Color(0xFF241A00),
    error = Color(0xFFB3261E),
    errorContainer = Color(0xFFF9DEDC),
    onErrorContainer = Color(0xFF410E0B),
)

/** Material's type scale with every style in [family]. */
fun perlinsosTypography(family: FontFamily): Typography {
    val t = Typography()
    fun TextStyle.f() = copy(fontFamily = family)
    return Typography(
        displayLarge = t.displayLarge.f(), displayMedium = t.displayMedium.f(), displaySmall = t.displaySmall.f(),
        headlineLarge = t.headlineLarge.f(), headlineMedium = t.headlineMedium.f(), headlineSmall = t.headlineSmall.f(),
        titleLarge = t.titleLarge.f(), titleMedium = t.titleMedium.f(), titleSmall = t.titleSmall.f(),
        bodyLarge = t.bodyLarge.f(), bodyMedium = t.bodyMedium.f(), bodySmall = t.bodySmall.f(),
        labelLarge = t.labelLarge.f(), labelMedium = t.labelMedium.f(), labelSmall = t.labelSmall.f(),
    )
}

@Composable
fun PerlinsosTheme(fontFamily: FontFamily = FontFamily.Default, content: @Composable () -> Unit) {
    MaterialTheme(colorScheme = colors, typography = perlinsosTypography(fontFamily), content = content)
}
