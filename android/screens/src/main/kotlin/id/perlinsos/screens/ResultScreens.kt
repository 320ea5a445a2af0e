// What a resident sees of their own family (in resident mode): the district's result, its
// reasons, the deadline to object and what they can do; and the objection form (reason from a
// list, a statement, the photos taken). Both are read aloud on request.
package id.perlinsos.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp

enum class Eligibility(val label: String) { LAYAK(Strings.resultLayak), TIDAK_LAYAK(Strings.resultTidakLayak) }

data class ResultState(
    val familyHead: String,
    /** Null: no result published yet. */
    val eligibility: Eligibility? = null,
    val desil: Int? = null,
    val programme: String? = null,
    val reasons: List<String> = emptyList(),
    /** Already formatted ("15 Januari 2027"). */
    val objectionDeadline: String? = null,
    val deadlinePassed: Boolean = false,
    val offline: Boolean = false,
) {
    val advice: List<String>
        get() = buildList {
            if (eligibility == Eligibility.LAYAK) add(Strings.resultLayakAdvice(programme))
            when {
                objectionDeadline != null && !deadlinePassed -> add(Strings.resultObjectAdvice(objectionDeadline))
                deadlinePassed -> add(Strings.resultDeadlinePassed)
            }
        }
    val canObject: Boolean get() = eligibility != null && objectionDeadline != null && !deadlinePassed
    val spokenText: String
        get() = eligibility?.let { Strings.resultSpoken(it.label, desil, programme, reasons, advice) } ?: Strings.resultNone
}

sealed interface ResultEvent {
    data class ReadAloud(val text: String) : ResultEvent
    data object Object : ResultEvent
    data object Back : ResultEvent
}

object ResultTags {
    const val STATUS = "result.status"
    const val READ = "result.read"
    const val OBJECT = "result.object"
    const val BACK = "result.back"
}

@Composable
fun ResultScreen(state: ResultState, onEvent: (ResultEvent) -> Unit, modifier: Modifier = Modifier) {
    ScreenColumn(Strings.resultTitle, modifier, subtitle = state.familyHead) {
        if (state.offline) OfflineBanner(Strings.resultOffline)
        val eligibility = state.eligibility
        if (eligibility == null) {
            NoteCard(Strings.resultNone, "result.none")
        } else {
            val c = MaterialTheme.colorScheme
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    Text(Strings.resultStatus, style = MaterialTheme.typography.labelLarge)
                    if (eligibility == Eligibility.LAYAK) {
                        StatusChip(eligibility.label, c.primaryContainer, c.onPrimaryContainer, Modifier.testTag(ResultTags.STATUS))
                    } else {
                        StatusChip(eligibility.label, c.errorContainer, c.onErrorContainer, Modifier.testTag(ResultTags.STATUS))
                    }
                    state.desil?.let { LabelValue(Strings.resultDesil, Strings.pmtDesilValue(it)) }
                    state.programme?.let { LabelValue(Strings.resultProgramme, it) }
                }
            }
            ReadAloudButton(Strings.resultWhat, state.spokenText, { onEvent(ResultEvent.ReadAloud(it)) }, ResultTags.READ, Modifier.fillMaxWidth())
            if (state.reasons.isNotEmpty()) {
                SectionTitle(Strings.resultReasons)
                for (r in state.reasons) Text("• $r")
            }
            state.objectionDeadline?.let { LabelValue(Strings.resultDeadline, it) }
            SectionTitle(Strings.resultWhatNow)
            for (a in state.advice) Text(a)
            if (state.canObject) PrimaryButton(Strings.resultObject, { onEvent(ResultEvent.Object) }, ResultTags.OBJECT)
        }
        SecondaryButton(Strings.back, { onEvent(ResultEvent.Back) }, ResultTags.BACK)
    }
}

// ---- Objection (sanggahan) ----

enum class ObjectionKind { OWN_RESULT, RECIPIENT }

data class PhotoRow(val index: Int, val house: Boolean, val hasLocation: Boolean, val sizeKb: Int)

object ObjectionFields {
    const val REASON = "reason"
    const val STATEMENT = "statement"
    const val PHOTOS = "photos"
    fun photo(index: Int) = "photos[$index]"
}

data class ObjectionState(
    val kind: ObjectionKind,
    /** Whom it is about: the resident's own family, or the recipient ("Nama · NIK 5271••••••••0003"). */
    val subject: String,
    val reasons: List<ChoiceOption> = if (kind == ObjectionKind.OWN_RESULT) Strings.ownReasons else Strings.recipientReasons,
    val reason: String? = null,
    val statement: String = "",
    val photos: List<PhotoRow> = emptyList(),
    val deadline: String? = null,
    val fieldErrors: List<FieldError> = emptyList(),
    val busy: Boolean = false,
)

sealed interface ObjectionEvent {
    data class ReasonChosen(val reasonId: String) : ObjectionEvent
    data class StatementChanged(val text: String) : ObjectionEvent
    data class TakePhoto(val house: Boolean) : ObjectionEvent
    data class RemovePhoto(val index: Int) : ObjectionEvent
    data object Submit : ObjectionEvent
    data object Back : ObjectionEvent
}

object ObjectionTags {
    const val REASON = "objection.reason"
    const val STATEMENT = "objection.statement"
    const val PHOTOS = "objection.photos"
    const val TAKE_HOUSE = "objection.photo.house"
    const val TAKE_OTHER = "objection.photo.other"
    fun remove(i: Int) = "objection.photo.$i.remove"
    const val SUBMIT = "objection.submit"
    const val BACK = "objection.back"
}

@Composable
fun ObjectionScreen(state: ObjectionState, onEvent: (ObjectionEvent) -> Unit, modifier: Modifier = Modifier) {
    val errors = state.fieldErrors
    val enabled = !state.busy
    ScreenColumn(
        Strings.objectionTitle, modifier,
        subtitle = if (state.kind == ObjectionKind.OWN_RESULT) Strings.objectionOwnIntro + " " + state.subject
        else Strings.objectionRecipientIntro(state.subject),
    ) {
        state.deadline?.let { Text(Strings.objectionDeadline(it), style = MaterialTheme.typography.titleSmall) }
        val photoFields = state.photos.map { ObjectionFields.photo(it.index) }
        ProblemCard(errors.notOn(listOf(ObjectionFields.REASON, ObjectionFields.STATEMENT, ObjectionFields.PHOTOS) + photoFields).map { it.message })
        ChoiceGroup(Strings.objectionReason, state.reasons, state.reason, { onEvent(ObjectionEvent.ReasonChosen(it)) },
            ObjectionTags.REASON, errors.on(ObjectionFields.REASON), enabled)
        LabeledField(Strings.objectionStatement, state.statement, { onEvent(ObjectionEvent.StatementChanged(it)) },
            ObjectionTags.STATEMENT, errors.on(ObjectionFields.STATEMENT), singleLine = false, enabled = enabled)
        SectionTitle(Strings.objectionPhotos)
        Column(Modifier.fillMaxWidth().testTag(ObjectionTags.PHOTOS), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            if (state.photos.isEmpty()) Text(Strings.objectionNoPhotos)
            for (p in state.photos) {
                Card(Modifier.fillMaxWidth()) {
                    Row(Modifier.padding(start = 12.dp), verticalAlignment = Alignment.CenterVertically) {
                        Column(Modifier.weight(1f).padding(vertical = 8.dp)) {
                            Text(Strings.objectionPhotoLine(p.index + 1, p.house, p.hasLocation, p.sizeKb))
                            FieldErrors(errors.on(ObjectionFields.photo(p.index)), "objection.photo.${p.index}")
                        }
                        TextButton(
                            onClick = { onEvent(ObjectionEvent.RemovePhoto(p.index)) },
                            enabled = enabled,
                            modifier = Modifier.heightIn(min = MinTouch).testTag(ObjectionTags.remove(p.index))
                                .semantics { contentDescription = Strings.objectionRemovePhoto(p.index + 1) },
                        ) { Text(Strings.objectionRemove) }
                    }
                }
            }
            FieldErrors(errors.on(ObjectionFields.PHOTOS), ObjectionTags.PHOTOS)
        }
        SecondaryButton(Strings.objectionTakeHouse, { onEvent(ObjectionEvent.TakePhoto(house = true)) }, ObjectionTags.TAKE_HOUSE, enabled)
        SecondaryButton(Strings.objectionTakeOther, { onEvent(ObjectionEvent.TakePhoto(house = false)) }, ObjectionTags.TAKE_OTHER, enabled)
        Busy(state.busy)
        PrimaryButton(Strings.objectionSubmit, { onEvent(ObjectionEvent.Submit) }, ObjectionTags.SUBMIT, enabled)
        SecondaryButton(Strings.back, { onEvent(ObjectionEvent.Back) }, ObjectionTags.BACK, enabled)
    }
}
